import ChatBackends
import Foundation
import HTTPServer

/// The whole app: picks the mode, builds the routes, runs the server and, in dev mode,
/// the file watcher that feeds hot reload.
///
/// ```swift
/// let app = try RunnelApp(configuration: RunnelConfiguration(), environment: ProcessInfo.processInfo.environment)
/// let port = try app.start()
/// await app.shutdown()
/// ```
public final class RunnelApp: Sendable {
    public static let version = "0.1.0"

    public let configuration: RunnelConfiguration
    public let mode: RunnelConfiguration.Mode
    /// The names of the configured backends, default first.
    public let backendNames: [String]
    let conversations: ConversationStore
    let replies: ReplyRegistry
    let reloadHub: ReloadHub?
    /// The token asked of every client but `/healthz`: given, made at start on a public
    /// server, or nil (a loopback server without `--access-token`).
    public let accessToken: AccessToken?
    let metrics = Metrics()
    let limits: ClientLimits
    private let server: HTTPServer
    private let watcher: DevReloader?
    /// Dev mode's reload of the `--mocks` folder.
    private let mockReloader: MockScenarioReloader?

    /// Builds everything; throws a message fit for the terminal when the configuration
    /// cannot work (an unknown backend, a missing folder…).
    public init(configuration: RunnelConfiguration, environment: [String: String], log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.configuration = configuration
        let base = URL(fileURLWithPath: configuration.root, isDirectory: true).standardizedFileURL
        let hasFolders = ["Frontend", "Templates"].allSatisfy {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: base.appendingPathComponent($0).path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        mode = configuration.forceEmbedded || !hasFolders ? .embedded : .dev

        let scenarios = MockScenarioLibrary()
        let backends = try BackendSet.make(configuration, environment: environment, scenarios: scenarios, log: log)
        backendNames = backends.names
        conversations = ConversationStore(limits: configuration.conversationLimits)
        if let instance = configuration.instance, !ReplyID.isValidInstance(instance) {
            throw RunnelError("--instance takes 1 to \(ReplyID.maxInstanceLength) of a-z, 0-9 and '-', not '\(instance)' (it starts every reply id, which the proxy routes on)")
        }
        replies = ReplyRegistry(instance: configuration.instance)

        let frontend: AssetStore
        let templates: AssetStore
        switch mode {
        case .dev:
            frontend = AssetStore(.disk(root: base.appendingPathComponent("Frontend")))
            templates = AssetStore(.disk(root: base.appendingPathComponent("Templates")))
        case .embedded:
            let files = EmbeddedAssets.decoded()
            frontend = AssetStore(.embedded(files, under: "Frontend"))
            templates = AssetStore(.embedded(files, under: "Templates"))
        }
        let hotReload = mode == .dev && configuration.hotReload
        reloadHub = hotReload ? ReloadHub(instance: UUID().uuidString) : nil
        let pages = Pages(templates: templates, values: [
            "title": .text("Runnel"),
            "version": .text(Self.version),
            "mode": .text(mode.rawValue),
            "default_backend": .text(backends.defaultName),
            "backends": .json(backends.backendsJSON.text),
        ], bodyEnd: hotReload ? ReloadClient.scriptTag : nil)

        let isLoopback = SecurityPolicy.isLoopbackBind(configuration.host)
        if let given = configuration.accessToken {
            accessToken = try AccessToken(given)
        } else {
            accessToken = configuration.isPublic ? AccessToken.generate() : nil
        }
        limits = ClientLimits(settings: configuration.limits, isPublic: configuration.isPublic)
        var router = Router()
        router.add(.get, "/healthz") { _ in .text("ok\n") }
        router.add(.get, "/metrics") { [metrics] _ in
            Response(status: .ok, headers: ["Content-Type": Metrics.contentType, "Cache-Control": "no-store"], body: Array(metrics.render().utf8))
        }
        // Dev mode traces every reply for the inspector; recording keeps whole responses.
        var replySettings = configuration.replies
        if mode == .dev {
            replySettings.tracedRawBytes = configuration.recordDirectory == nil ? InspectorAPI.maxRawBytesPerReply : ExchangeTrace.defaultMaxRawBytes
        }
        ChatAPI(backends: backends, conversations: conversations, replies: replies, replySettings: replySettings,
                heartbeat: configuration.heartbeat, sharesDefaultConversation: !configuration.isPublic, limits: limits, metrics: metrics)
            .install(into: &router)
        ReplyAPI(replies: replies, heartbeat: configuration.heartbeat).install(into: &router)
        if mode == .dev {
            InspectorAPI(replies: replies, pages: pages,
                         shelf: configuration.recordDirectory.map { CassetteShelf(directory: URL(fileURLWithPath: $0, isDirectory: true)) })
                .install(into: &router)
        }
        let apiKey: AccessToken?
        do {
            apiKey = try configuration.apiKey.map { key throws(RunnelError) in try AccessToken(key) }
        } catch {
            throw RunnelError(error.description.replacingOccurrences(of: "--access-token", with: "--api-key"))
        }
        ProviderAPI(backends: backends, key: ProviderKey(key: apiKey), metrics: metrics, limits: limits,
                    maxReplyBytes: configuration.replies.maxBytes, heartbeat: configuration.heartbeat).install(into: &router)
        Site(files: StaticFiles(store: frontend), pages: pages, reloadHub: reloadHub, heartbeat: configuration.heartbeat)
            .install(into: &router)

        var serverConfiguration = configuration.server
        serverConfiguration.host = configuration.host
        serverConfiguration.port = configuration.port
        server = HTTPServer(configuration: serverConfiguration, handler: SecurityPolicy(
            next: router, errors: ErrorResponses(pages: pages), allowedHosts: Set(configuration.allowedHosts.map { $0.lowercased() }),
            corsOrigins: Set(configuration.corsOrigins), checksHost: isLoopback,
            gate: AccessGate(token: accessToken, providerKeyed: apiKey != nil), trustedProxies: configuration.trustedProxies, limits: limits))
        metrics.attach(server)

        if let reloadHub {
            watcher = try DevReloader(base: base, frontend: frontend, pages: pages, hub: reloadHub, coalesce: configuration.reloadCoalesce)
        } else {
            watcher = nil
        }
        if let folder = configuration.mocksDirectory, hotReload {
            mockReloader = try MockScenarioReloader(folder: folder, library: scenarios, coalesce: configuration.reloadCoalesce, log: log)
        } else {
            mockReloader = nil
        }
        self.log = log
    }

    private let log: @Sendable (String) -> Void

    /// Binds (moving past busy ports unless `strictPort`) and starts serving; the port.
    @discardableResult
    public func start() throws -> Int {
        var port = configuration.port
        while true {
            do {
                return try server.start(port: port)
            } catch SocketError.addressInUse where !configuration.strictPort && port != 0
                && port < configuration.port + RunnelConfiguration.portSearchRange {
                log("runnel: port \(port) in use, trying \(port + 1)")
                port += 1
            } catch SocketError.addressInUse {
                throw RunnelError("port \(port) is in use\(configuration.strictPort ? " (--strict-port)" : ""); pick another with --port")
            } catch SocketError.unresolvable(let host, let reason) {
                throw RunnelError("cannot resolve the host '\(host)' (\(reason)); bind --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)")
            } catch SocketError.failed(call: "bind", errno: EACCES) where port < 1024 {
                throw RunnelError("port \(port) needs root (ports below 1024 are privileged); use a port above 1023, such as --port 8080")
            }
        }
    }

    /// The bound port, once started.
    public var port: Int? { server.port }

    /// Graceful shutdown: reload streams end at once, chat streams get the grace period;
    /// then every reply still going (a resumable one with no reader) ends too.
    public func shutdown() async {
        watcher?.stop()
        mockReloader?.stop()
        reloadHub?.finishAll()
        await server.shutdown()
        for reply in replies.inFlight { reply.end(.shuttingDown) }
    }

    public func waitUntilStopped() async { await server.waitUntilStopped() }
}

/// A configuration problem, said the way the terminal should show it.
public struct RunnelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
