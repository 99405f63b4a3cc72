import HTTPServer

/// An API failure before a stream starts, answered as
/// `{"error": {"code": "...", "message": "..."}}` with its status (DESIGN §4).
struct APIError: Error, Sendable {
    let status: HTTPStatus
    let code: String
    let message: String
    /// More fields of the error object, after `code` and `message`.
    var details: [(String, JSON)] = []

    static func invalidJSON(_ message: String) -> APIError { APIError(status: .badRequest, code: "invalid_json", message: message) }
    static func invalidRequest(_ message: String) -> APIError { APIError(status: .badRequest, code: "invalid_request", message: message) }
    static func unknownBackend(_ name: String, known: [String]) -> APIError {
        APIError(status: .badRequest, code: "unknown_backend",
                 message: "no backend named '\(name)'; configured: \(known.joined(separator: ", "))")
    }
    static func conversationBusy(_ id: String, reply: String) -> APIError {
        APIError(status: .conflict, code: "conversation_busy",
                 message: "a reply for conversation '\(id)' is still streaming; follow it at /api/replies/\(reply)/events or stop it first",
                 details: [("reply_id", .string(reply))])
    }
    static let invalidReplyID = APIError(
        status: .badRequest, code: "invalid_reply_id", message: "a reply id is \(ReplyID.length) lowercase hex digits")
    static let replyNotFound = APIError(
        status: .notFound, code: "reply_not_found",
        message: "no such reply: it never existed, or it finished more than \(ReplyRegistry.retention) ago")
    static let conversationNotFound = APIError(
        status: .notFound, code: "conversation_not_found", message: "no such conversation (it may have expired)")
    static let unsupportedMediaType = APIError(
        status: .unsupportedMediaType, code: "unsupported_media_type",
        message: "send the body as JSON with 'Content-Type: application/json'")
    static func forbiddenOrigin(_ origin: String) -> APIError {
        APIError(status: .forbidden, code: "forbidden_origin",
                 message: "requests from origin \(origin) are not allowed; start runnel with --cors \(origin) to allow it")
    }

    /// The code for an error the server itself raised, by status.
    static func code(for status: HTTPStatus) -> String {
        switch status.code {
        case 400: return "invalid_request"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "body_too_large"
        case 415: return "unsupported_media_type"
        default: return status.code >= 500 ? "internal" : "bad_request"
        }
    }

    var response: Response {
        let body = JSON.object([("error", .object([("code", .string(code)), ("message", .string(message))] + details))])
        return Response(status: status, headers: ["Content-Type": "application/json"], body: body.bytes)
    }
}
