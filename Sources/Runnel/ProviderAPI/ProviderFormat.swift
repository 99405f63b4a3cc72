import ChatBackends
import HTTPServer

/// The three provider wire formats Runnel speaks besides its own (README "SDKs"), told
/// apart by path. Each has its own error JSON, so that every SDK raises its own exception
/// class: ``ErrorResponses`` renders an `HTTPError` on these paths with ``errorBody(_:)``.
enum ProviderFormat: Sendable {
    /// `/v1/chat/completions`, `/v1/models`.
    case openAI
    /// `/v1/messages`.
    case anthropic
    /// `/v1beta/models/{model}:generateContent` and `:streamGenerateContent` (and the
    /// same under `/v1/`, where the google-genai SDK goes when given a base URL).
    case gemini

    /// The format's name in `/metrics`' `format` label.
    var label: String {
        switch self {
        case .openAI: "openai"
        case .anthropic: "anthropic"
        case .gemini: "gemini"
        }
    }

    /// The format of `path`, or nil outside the provider endpoints.
    init?(path: String) {
        if path.hasPrefix("/v1beta/") || (path.hasPrefix("/v1/models/") && path.contains(":")) {
            self = .gemini
        } else if path == "/v1/messages" || path.hasPrefix("/v1/messages/") {
            self = .anthropic
        } else if path.hasPrefix("/v1/") {
            self = .openAI
        } else {
            return nil
        }
    }

    /// The error object of this format:
    /// - OpenAI `{"error": {"message", "type", "param", "code"}}`;
    /// - Anthropic `{"type": "error", "error": {"type", "message"}}`;
    /// - Gemini `{"error": {"code": <status>, "message", "status"}}`.
    func errorBody(_ error: HTTPError) -> JSON {
        let status = error.status.code
        switch self {
        case .openAI:
            let type = switch status {
            case 401: "authentication_error"
            case 403: "permission_error"
            case 404: "not_found_error"
            case 429: "rate_limit_error"
            case 500...: "server_error"
            default: "invalid_request_error"
            }
            return .object([("error", .object([
                ("message", .string(error.message)), ("type", .string(type)),
                ("param", error.param.map(JSON.string) ?? .null), ("code", .string(error.code)),
            ]))])
        case .anthropic:
            let type = switch status {
            case 401: "authentication_error"
            case 403: "permission_error"
            case 404: "not_found_error"
            case 413: "request_too_large"
            case 429: "rate_limit_error"
            case 503, 529: "overloaded_error"
            case 500...: "api_error"
            default: "invalid_request_error"
            }
            return .object([("type", .string("error")), ("error", .object([("type", .string(type)), ("message", .string(error.message))]))])
        case .gemini:
            let name = switch status {
            case 401: "UNAUTHENTICATED"
            case 403: "PERMISSION_DENIED"
            case 404: "NOT_FOUND"
            case 429: "RESOURCE_EXHAUSTED"
            case 503: "UNAVAILABLE"
            case 504: "DEADLINE_EXCEEDED"
            case 500...: "INTERNAL"
            default: "INVALID_ARGUMENT"
            }
            return .object([("error", .object([("code", .int(status)), ("message", .string(error.message)), ("status", .string(name))]))])
        }
    }
}

extension HTTPError {
    /// A request the provider format does not accept, with the field at fault (OpenAI's `param`).
    static func providerInvalid(_ message: String, param: String? = nil) -> HTTPError {
        HTTPError(.badRequest, message, code: "invalid_request", details: param.map { [Detail("param", $0)] } ?? [])
    }

    /// The field at fault, for OpenAI's `param`.
    var param: String? { details.first { $0.name == "param" }?.value }
}
