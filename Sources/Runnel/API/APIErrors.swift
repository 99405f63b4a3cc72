import ChatBackends
import HTTPServer

/// The API's errors before a stream starts, each with its status and code (README "The
/// wire format"). They are plain ``HTTPError``s: ``ErrorResponses`` is where every error
/// becomes a response, as `{"error": {"code", "message", …}}` on the API.
extension HTTPError {
    static func invalidJSON(_ message: String) -> HTTPError { HTTPError(.badRequest, message, code: "invalid_json") }
    static func invalidRequest(_ message: String) -> HTTPError { HTTPError(.badRequest, message, code: "invalid_request") }
    /// A request's `history` longer than a conversation may hold (README "History in the request").
    static func historyTooLarge(_ message: String) -> HTTPError { HTTPError(.contentTooLarge, message, code: "history_too_large") }
    /// A provider-format stream whose client fell too far behind (README "SDKs").
    static func clientTooSlow(behindBy bytes: Int) -> HTTPError {
        HTTPError(.serviceUnavailable, "the client fell more than \(bytes) bytes (--max-reply-bytes) behind the reply, which was stopped", code: "client_too_slow")
    }
    /// A provider-format whole answer longer than `--max-reply-bytes` (README "SDKs").
    static func wholeAnswerTooLarge(_ bytes: Int) -> HTTPError {
        HTTPError(.badGateway, "the answer exceeded \(bytes) bytes (--max-reply-bytes); ask for a stream, or a shorter answer", code: "reply_too_large")
    }
    static func unknownBackend(_ name: String, known: [String]) -> HTTPError {
        HTTPError(.badRequest, "no backend named '\(name)'; configured: \(known.joined(separator: ", "))", code: "unknown_backend")
    }
    static func conversationBusy(_ id: String, reply: String) -> HTTPError {
        HTTPError(.conflict, "a reply for conversation '\(id)' is still streaming; follow it at /api/replies/\(reply)/events or stop it first",
                  code: "conversation_busy", details: [Detail("reply_id", reply)])
    }
    static let unsupportedMediaType = HTTPError(
        .unsupportedMediaType, "send the body as JSON with 'Content-Type: application/json'", code: "unsupported_media_type")
    static func forbiddenOrigin(_ origin: String) -> HTTPError {
        HTTPError(.forbidden, "requests from origin \(origin) are not allowed; start runnel with --cors \(origin) to allow it",
                  code: "forbidden_origin")
    }
    static let invalidReplyID = HTTPError(
        .badRequest, "a reply id is \(ReplyID.length) lowercase hex digits, after an instance name (1-\(ReplyID.maxInstanceLength) of [a-z0-9-]) and a dot when the server has one",
        code: "invalid_reply_id")
    static let replyNotFound = HTTPError(
        .notFound, "no such reply: it never existed, or it finished more than \(ReplyRegistry.retention) ago", code: "reply_not_found")
    /// README "Several instances": the proxy routes a reply's routes by the id's instance name.
    static func replyOnAnotherInstance(_ owner: String?, here: String?) -> HTTPError {
        let made = owner.map { "instance '\($0)'" } ?? "a server without --instance"
        let this = here.map { "this is instance '\($0)'" } ?? "this server has no --instance"
        return HTTPError(.notFound, "no such reply here: its id was made by \(made), and \(this); the proxy must send a reply's routes to the instance its id names",
                         code: "reply_not_found")
    }
    static let conversationNotFound = HTTPError(
        .notFound, "no such conversation (it may have expired)", code: "conversation_not_found")

    /// A backend's failure before the reply started, with the status each SDK maps to the
    /// matching exception: rate limited 429, unavailable 503, timeout 504, anything the
    /// upstream got wrong 502, no recorded reply to replay 404, a bug 500.
    /// A status the error carries (the mock's `status` fault, README "Mock scenarios") wins.
    init(backend error: ChatBackendError) {
        let mapped: HTTPStatus = switch error.code {
        case .replayUnmatched: .notFound
        case .upstreamRateLimited: .tooManyRequests
        case .upstreamUnavailable: .serviceUnavailable
        case .upstreamTimeout: .gatewayTimeout
        case .upstreamAuth, .upstreamProtocol: .badGateway
        case .internalError: .internalServerError
        }
        let status = error.status.map(HTTPStatus.init(refusing:)) ?? mapped
        self.init(status, error.message, code: error.code.rawValue, headers: status == .tooManyRequests ? ["Retry-After": "1"] : [:])
    }
}

extension HTTPStatus {
    /// `code` with its reason phrase, for a status a backend asks to refuse with.
    init(refusing code: Int) {
        let known: [HTTPStatus] = [.badRequest, .unauthorized, .forbidden, .notFound, .requestTimeout, .conflict,
                                   .tooManyRequests, .internalServerError, .notImplemented, .serviceUnavailable,
                                   .badGateway, .gatewayTimeout]
        self = known.first { $0.code == code } ?? HTTPStatus(code, code < 500 ? "Client Error" : "Server Error")
    }
}
