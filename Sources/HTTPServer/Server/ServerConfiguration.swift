import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Every limit and timeout of the server (README "Options"), with its documented default.
///
/// ```swift
/// var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
/// configuration.headerReadTimeout = .seconds(2)
/// ```
public struct ServerConfiguration: Sendable {
    /// Largest request body when the handler sets no limit of its own.
    public static let defaultMaxBodySize = 1 << 20
    /// Empty lines tolerated before a request line (RFC 9112 §2.2 asks for at least one;
    /// some clients send a CRLF after a body): 400 beyond it.
    public static let maxLeadingEmptyLines = 8
    /// Most trailer fields after a chunked body: 431 beyond it.
    public static let maxTrailerFields = 20
    /// Largest trailer section after a chunked body: 431 beyond it.
    public static let maxTrailerBytes = 4 * 1024

    /// Address to bind: a numeric IPv4/IPv6 address or a host name.
    public var host: String
    /// Port to bind; 0 lets the kernel choose (read it back from ``HTTPServer/port``).
    public var port: Int
    /// Longest request line (method, target, version): 414 beyond it.
    public var maxRequestLineBytes = 8 * 1024
    /// Largest header section after the request line: 431 beyond it.
    public var maxHeaderBytes = 16 * 1024
    /// Most header fields in one request: 431 beyond it.
    public var maxHeaderCount = 100
    /// Time a client has to send a whole request head, from its first byte (or from
    /// accepting the connection), whatever it sends meanwhile: 408 after it, which ends
    /// slowloris attacks.
    public var headerReadTimeout: Duration = .seconds(10)
    /// Time to receive the next piece of a request body: 408 after it.
    public var bodyReadTimeout: Duration = .seconds(30)
    /// Time a client has to send a whole request body, trailers included, from the end of
    /// its head, however it trickles the bytes: 408 after it. With the 1 MiB default body
    /// limit that asks for about 17 KiB/s at least.
    public var bodyTotalTimeout: Duration = .seconds(60)
    /// Time a socket write may make no progress (the client reads nothing) before the
    /// connection is closed: it frees the slot of a client that stopped reading, a
    /// response or stream included. Counted again whenever some bytes go out.
    public var writeTimeout: Duration = .seconds(30)
    /// Time a kept-alive connection may sit idle between requests before it is closed.
    public var keepAliveTimeout: Duration = .seconds(30)
    /// Threads that run connections, each an epoll event loop that is also the executor
    /// of its connections' tasks; connections are spread over them in turn.
    public var eventLoops = ServerConfiguration.processorCount
    /// Open connections at most; further ones are closed as soon as they are accepted.
    public var maxConnections = 10_000
    /// Kernel send buffer per connection: with the one piece a writer holds, it bounds
    /// what a client that stops reading costs (≤ 256 KiB).
    public var sendBufferBytes = 128 * 1024
    /// How long a graceful shutdown lets streaming responses finish before cancelling them.
    public var shutdownGracePeriod: Duration = .seconds(5)
    /// How long cancelled responses get to write their last words before sockets close.
    public var shutdownCancelGracePeriod: Duration = .seconds(1)
    /// Value of the `Server` header; nil sends none.
    public var serverName: String? = "runnel"
    /// Called after each response with what an access log prints.
    public var accessLog: (@Sendable (AccessLogEntry) -> Void)?

    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }

    /// Processors this process may run on: its CPU affinity (so `taskset -c 0` means
    /// one event loop, as Go's GOMAXPROCS does), else every online processor.
    public static var processorCount: Int {
        let affinity = Int(csystem_affinity_processor_count())
        return affinity > 0 ? affinity : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    var headLimits: RequestHeadParser.Limits {
        .init(maxRequestLine: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes, maxHeaderCount: maxHeaderCount)
    }
}

/// One finished exchange, for the access log.
public struct AccessLogEntry: Sendable {
    public let method: String
    /// The request target as the client sent it (may hold secrets in its query and any
    /// byte the parser accepts: a log escapes and redacts it).
    public let target: String
    public let status: Int
    /// Body bytes sent.
    public let bytes: Int
    public let duration: Duration
    /// The socket's other end, when known.
    public var peer: String? = nil
    /// What the handler added (``Response/logFields``), in its order.
    public var fields: [Field] = []

    /// One named value the handler adds to the entry.
    public typealias Field = (name: String, value: String)

    public init(method: String, target: String, status: Int, bytes: Int, duration: Duration, peer: String? = nil, fields: [Field] = []) {
        self.method = method
        self.target = target
        self.status = status
        self.bytes = bytes
        self.duration = duration
        self.peer = peer
        self.fields = fields
    }

    /// The value of the field named `name`, if the handler added one.
    public subscript(field name: String) -> String? { fields.first { $0.name == name }?.value }
}
