import HTTPServer

/// Everything `runnel` can be told (README "Options"), with the defaults a first `make run` uses.
public struct RunnelConfiguration: Sendable {
    /// How the UI's files are served.
    public enum Mode: String, Sendable {
        /// From `Frontend/` and `Templates/` on disk, re-read on change, hot reload on.
        case dev
        /// From the copies compiled into the binary; no file access, no watcher.
        case embedded
    }

    public var host = "127.0.0.1"
    public var port = 8080
    /// Fail instead of moving to the next free port when `port` is busy.
    public var strictPort = false
    /// How many ports after a busy one are tried.
    public static let portSearchRange = 20
    /// Folder holding `Frontend/` and `Templates/` for dev mode.
    public var root = "."
    /// Serve the embedded UI even when `root` holds the folders.
    public var forceEmbedded = false
    public var hotReload = true
    public var backend = "mock"
    /// `--model` and `--base-url`: apply to the backend named by `backend`.
    public var model: String?
    public var baseURL: String?
    public var system: String?
    public var corsOrigins: [String] = []
    public var allowedHosts: [String] = []
    public var quiet = false
    /// Silence after which chat and reload streams get a `: ping` comment.
    public var heartbeat: Duration = .seconds(15)
    /// Mock pacing: time to first token and between tokens.
    public var mockFirstTokenMs = 300
    public var mockTokenDelayMs = 25
    /// Echo pacing between words when a request sets none.
    public var echoDelayMs = 0
    public var conversationLimits = ConversationLimits()
    /// The cap of a reply's log and how long a resumable reply goes on with no reader.
    public var replies = ReplyLimits()
    /// Window in which file changes are coalesced into one reload event.
    public var reloadCoalesce: Duration = .milliseconds(20)
    /// The HTTP server's limits and timeouts (host and port are taken from above).
    public var server = ServerConfiguration()
    /// The token a public server asks for (`--access-token`); nil there: one is made at start.
    public var accessToken: String?
    /// The key the provider endpoints (`/v1/…`, `/v1beta/…`) ask for (`--api-key`); nil: open.
    public var apiKey: String?
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`). Any makes the
    /// server public, whatever its bind: the proxy brings other machines' requests.
    public var trustedProxies: [CIDR] = []
    /// This server's name among several behind one proxy (`--instance`, README "Several
    /// instances"): 1–32 of `[a-z0-9-]`, put before every reply id it makes.
    public var instance: String?
    /// Replies and requests per client, replies on the whole server.
    public var limits = ClientLimitSettings()
    /// How the access log is written (`--log-format`).
    public var logFormat = LogFormat.text
    /// Save every exchange with a remote backend as a cassette in this folder (`--record`).
    public var recordDirectory: String?
    /// Offer the `replay` backend, answering from the cassettes in this folder (`--replay`).
    public var replayDirectory: String?
    /// Replay pace: 1 as recorded, 2 twice as fast, 0 at once (`--replay-speed`).
    public var replaySpeed = 1.0
    /// The mock's scenario files (`--mocks`, README "Mock scenarios"); reloaded on save in dev mode.
    public var mocksDirectory: String?

    /// Whether other machines can reach the server: bound to a non-loopback address, or
    /// behind a trusted proxy. A public server asks for the access token, applies the
    /// client limits, and gives each request without a conversation a private one.
    public var isPublic: Bool { !SecurityPolicy.isLoopbackBind(host) || !trustedProxies.isEmpty }

    public init() {}
}

/// Bounds of the server's conversation memory (README "The wire format"), each a command-line option.
public struct ConversationLimits: Sendable {
    /// Conversations kept at most; the least recently used goes first.
    public var maxConversations = 1_000
    /// Turns kept per conversation; the oldest exchange goes first.
    public var maxTurns = 200
    /// Bytes of text kept per conversation; the oldest exchange goes first, and an
    /// exchange larger than this is kept cut to fit.
    public var maxBytes = 1 << 20
    /// Bytes of text kept by all conversations together; the least recently used go first.
    public var maxTotalBytes = 256 << 20
    /// A conversation untouched this long is forgotten.
    public var idleExpiry: Duration = .seconds(3600)

    public init() {}
}

/// Bounds of a reply (README "Replies"), each a command-line option.
public struct ReplyLimits: Sendable {
    /// Bytes of events one reply may hold (`--max-reply-bytes`); past it the reply ends
    /// with an `error` event `reply_too_large`.
    public var maxBytes = 2 << 20
    /// How long a resumable reply goes on with no reader (`--reply-grace-seconds`).
    public var grace: Duration = .seconds(30)
    /// Each reply's exchange is traced (events with their times, a remote backend's raw
    /// frames) with at most this many raw bytes kept: set in dev mode, for the inspector.
    var tracedRawBytes: Int?

    public init() {}
}
