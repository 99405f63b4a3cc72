/// The parsed head of a request, before its body is read.
public struct RequestHead: Sendable, Equatable {
    public var method: HTTPMethod
    /// The request target as sent (`/path?query`), not percent-decoded.
    public var target: String {
        didSet { path = Self.path(of: target) }
    }
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The target's path, before any `?`, still percent-encoded (split once: routing,
    /// the security checks and static files all read it).
    public private(set) var path: String

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:]) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.path = Self.path(of: target)
    }

    private static func path(of target: String) -> String {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(target[..<mark])
    }

    /// The target's query after `?`, if any.
    public var query: Substring? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: mark)...]
    }

    /// Whether the connection stays open after this exchange (RFC 9112 §9.3).
    public var keepAlive: Bool {
        switch version {
        case .http1_1: return !headers.contains("Connection", token: "close")
        case .http1_0: return headers.contains("Connection", token: "keep-alive")
        }
    }
}

/// A complete request: its head and its body, read in full up to the route's limit.
///
/// ```swift
/// func handle(_ request: Request) async throws -> Response {
///     guard request.head.method == .post else { throw HTTPError(.methodNotAllowed) }
///     return Response(status: .ok, body: request.body)
/// }
/// ```
public struct Request: Sendable {
    public var head: RequestHead
    public var body: [UInt8]
    /// The values of a route's `{name}` segments, set by the ``Router``.
    public var parameters: [String: String] = [:]
    /// The executor of the connection (its event loop): work a handler starts for this
    /// request, and that outlives it, runs best there, next to the socket.
    public var executor: (any TaskExecutor)?
    /// The numeric address of the socket's other end (`203.0.113.7`, `::1`), without the
    /// port: the client, or a proxy in front of it. Nil when the socket could not say.
    public var peer: String?
    /// Who the request is for, when a handler in front decided it (the peer, or the
    /// address a trusted proxy reported in front of it); nil: not decided, take ``peer``.
    public var client: String?

    public init(head: RequestHead, body: [UInt8] = [], executor: (any TaskExecutor)? = nil, peer: String? = nil) {
        self.head = head
        self.body = body
        self.executor = executor
        self.peer = peer
    }

    public var method: HTTPMethod { head.method }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }
}
