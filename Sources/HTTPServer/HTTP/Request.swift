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

    public init(head: RequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    public var method: HTTPMethod { head.method }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }
}
