import HTTPServer

/// An API failure before a stream starts, answered as
/// `{"error": {"code": "...", "message": "..."}}` with its status (DESIGN §4).
struct APIError: Error, Sendable {
    let status: HTTPStatus
    let code: String
    let message: String

    static func invalidJSON(_ message: String) -> APIError { APIError(status: .badRequest, code: "invalid_json", message: message) }
    static func invalidRequest(_ message: String) -> APIError { APIError(status: .badRequest, code: "invalid_request", message: message) }
    static func unknownBackend(_ name: String, known: [String]) -> APIError {
        APIError(status: .badRequest, code: "unknown_backend",
                 message: "no backend named '\(name)'; configured: \(known.joined(separator: ", "))")
    }
    static func conversationBusy(_ id: String) -> APIError {
        APIError(status: .conflict, code: "conversation_busy",
                 message: "a reply for conversation '\(id)' is still streaming; wait for it or stop it first")
    }
    static let unsupportedMediaType = APIError(
        status: .unsupportedMediaType, code: "unsupported_media_type",
        message: "send the body as JSON with 'Content-Type: application/json'")
    static func forbiddenOrigin(_ origin: String) -> APIError {
        APIError(status: .forbidden, code: "forbidden_origin",
                 message: "requests from origin \(origin) are not allowed; start runnel with --cors \(origin) to allow it")
    }

    var response: Response {
        let body = JSON.object([("error", .object([("code", .string(code)), ("message", .string(message))]))])
        return Response(status: status, headers: ["Content-Type": "application/json"], body: body.bytes)
    }
}
