#if canImport(Glibc)
import Glibc
#endif
import Sockets

/// A generic HTTP/1.1 server: binds, accepts, and runs each connection as a task that
/// calls one ``HTTPHandler``. It knows nothing of the application behind it.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0), handler: app)
/// let port = try server.start()
/// await server.shutdown()   // graceful: see ``shutdown()``
/// ```
public final class HTTPServer: Sendable {
    public let configuration: ServerConfiguration
    private let handler: any HTTPHandler
    private let registry: ConnectionRegistry
    private let listener = Lock<(loops: [EventLoop], socket: ListeningSocket, accepting: Task<Void, Never>)?>(nil)
    private let stopped = Lock<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init(configuration: ServerConfiguration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
        self.registry = ConnectionRegistry(maxConnections: configuration.maxConnections)
    }

    /// The bound port (the kernel's pick when configured with 0), once started.
    public var port: Int? { listener.withLock { $0?.socket.port } }

    /// Open connections right now.
    public var connectionCount: Int { registry.count }

    /// Bytes written to clients since the start (response heads and bodies, as sent).
    public var bytesSent: Int { sentBytes.value }
    private let sentBytes = ByteCounter()

    /// Binds (to `port`, or the configured one) and starts accepting; the bound port.
    @discardableResult
    public func start(port: Int? = nil) throws -> Int {
        let socket = try ListeningSocket.bind(host: configuration.host, port: port ?? configuration.port)
        let loops = try (0..<max(1, configuration.eventLoops)).map { _ in try EventLoop() }
        try loops[0].register(socket.socket)
        let accepting = Task(executorPreference: loops[0]) { await self.acceptLoop(loops: loops, listening: socket.socket) }
        listener.withLock { $0 = (loops, socket, accepting) }
        return socket.port
    }

    /// Accepts until shutdown, and is the one place that closes the listening socket: had
    /// `shutdown` closed it while this loop could still call `accept` on its number, a
    /// listener opened meanwhile under the same number (another server of the process)
    /// would have had its connections taken here and reset.
    private func acceptLoop(loops: [EventLoop], listening: Socket) async {
        defer {
            loops[0].deregister(listening)
            listening.close()
        }
        var next = 0
        while !registry.isShuttingDown {
            do {
                let client = try listening.accept()
                admit(client, loop: loops[next])
                next = (next + 1) % loops.count
            } catch SocketError.blocked {
                do { try await loops[0].waitReadable(listening) } catch { return }
            } catch SocketError.failed(_, let code) where code == EMFILE || code == ENFILE {
                // Out of descriptors: wait for a connection to close rather than spin.
                do { try await Task.sleep(for: .milliseconds(50)) } catch { return }
            } catch {
                if registry.isShuttingDown { return }
            }
        }
    }

    private func admit(_ client: Socket, loop: EventLoop) {
        guard registry.add(client, loop: loop) else {
            client.close()
            return
        }
        client.setNoDelay()
        client.setSendBufferSize(configuration.sendBufferBytes)
        do {
            try loop.register(client)
        } catch {
            registry.remove(client)
            client.close()
            return
        }
        let connection = Connection(
            io: ConnectionIO(socket: client, loop: loop, writeTimeout: configuration.writeTimeout, sentBytes: sentBytes),
            configuration: configuration, handler: handler, registry: registry, peer: client.peerAddress)
        Task(executorPreference: loop) { await connection.run() }
    }

    /// Whether ``shutdown()`` has begun: streaming producers should wrap up.
    public var isShuttingDown: Bool { registry.isShuttingDown }

    /// Graceful shutdown (README "Options"): stop accepting, close idle connections, let
    /// responses in flight finish for ``ServerConfiguration/shutdownGracePeriod``, then
    /// cancel the streams still running (their producers see cancellation and
    /// ``ResponseBodyWriter/isShuttingDown``), and close whatever remains.
    public func shutdown() async {
        guard let (loops, socket, accepting) = listener.withLock({ $0 }), !registry.isShuttingDown else {
            if !registry.isShuttingDown { markStopped() }  // never started: nothing to drain
            return
        }
        registry.beginShutdown()
        // The accept loop sees the flag, or this ends (or pre-empts) its wait; it closes the listener.
        loops[0].interruptRead(socket.socket, with: .closed)
        await accepting.value

        if await !drain(within: configuration.shutdownGracePeriod) {
            registry.cancelStreams()
            if await !drain(within: configuration.shutdownCancelGracePeriod) {
                registry.deregisterAll()
                _ = await drain(within: configuration.shutdownCancelGracePeriod)
            }
        }
        for loop in loops { loop.stop() }
        markStopped()
    }

    private func markStopped() {
        let waiters = stopped.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once a shutdown has completed.
    public func waitUntilStopped() async {
        await withCheckedContinuation { continuation in
            let done = stopped.withLock { state -> Bool in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    /// True once every connection closed, false if `limit` passed first.
    private func drain(within limit: Duration) async -> Bool {
        await registry.waitUntilEmpty(timeout: limit)
    }
}
