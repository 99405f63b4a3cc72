/// The server's one error type: what went wrong as a status, a message for the person
/// reading it, a machine-readable code, and what else the answer should carry. Handlers
/// throw it, the request parser throws it, and the handler's
/// ``HTTPHandler/errorResponse(for:head:)`` is the one place it becomes a response.
///
/// ```swift
/// throw HTTPError(.notFound, "no such reply", code: "reply_not_found")
/// ```
public struct HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPStatus
    public var message: String
    /// A stable name for programs (`body_too_large`, `conversation_busy`); by default
    /// derived from the status.
    public var code: String
    /// Headers the response carries (`Allow` on a 405, `Retry-After` on a 429…).
    public var headers: HTTPHeaders
    /// Further named facts for programs, beside the code (e.g. the id of a reply in flight).
    public var details: [Detail]

    public struct Detail: Sendable, Equatable {
        public let name: String
        public let value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(_ status: HTTPStatus, _ message: String? = nil, code: String? = nil, headers: HTTPHeaders = [:], details: [Detail] = []) {
        self.status = status
        self.message = message ?? status.reason
        self.code = code ?? Self.code(for: status)
        self.headers = headers
        self.details = details
    }

    /// A request that cannot be parsed: 400 with `message`.
    static func bad(_ message: String) -> HTTPError { HTTPError(.badRequest, message) }

    /// The code of an error known only by its status.
    public static func code(for status: HTTPStatus) -> String {
        switch status.code {
        case 400: return "invalid_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "body_too_large"
        case 414: return "uri_too_long"
        case 415: return "unsupported_media_type"
        case 429: return "too_many_requests"
        case 431: return "headers_too_large"
        case 501: return "not_implemented"
        default: return status.code >= 500 ? "internal" : "bad_request"
        }
    }

    public static func == (lhs: HTTPError, rhs: HTTPError) -> Bool {
        lhs.status == rhs.status && lhs.message == rhs.message && lhs.code == rhs.code && lhs.details == rhs.details
    }

    public var description: String { "\(status.code) \(message)" }
}
