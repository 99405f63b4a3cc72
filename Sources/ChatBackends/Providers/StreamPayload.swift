import Foundation

/// Decoding and error mapping shared by the providers' stream interpreters.
enum StreamPayload {
    /// `data` decoded as `T`, or an `upstream_protocol` error quoting the start of it.
    static func decode<T: Decodable>(_ type: T.Type, from data: String, label: String) throws(ChatBackendError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(data.utf8))
        } catch {
            let excerpt = data.count > 120 ? data.prefix(120) + "…" : data
            throw ChatBackendError(.upstreamProtocol, "\(label): unreadable stream event: \(excerpt)")
        }
    }

    /// `data` as JSON for encoding a request body.
    static func encode<T: Encodable>(_ value: T) throws(ChatBackendError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw ChatBackendError(.internalError, "could not encode the upstream request: \(error)")
        }
    }

    /// The error for an error object inside a stream (or a 200 JSON body).
    ///
    /// Providers name their errors differently (OpenAI `type`/`code`, Anthropic
    /// `error.type`, Gemini `status`), so the code is chosen from words of the name,
    /// then from an HTTP-like numeric code, defaulting to unavailable: the upstream
    /// failed while answering.
    static func streamError(kind: String?, status: Int?, message: String?, label: String, secrets: [String]) -> ChatBackendError {
        let code = errorCode(kind: kind, status: status)
        var text = "\(label): "
        text += message.map { UpstreamFailure.quote($0, secrets: secrets) } ?? "the upstream reported an error"
        if let kind, !kind.isEmpty { text += " (\(kind))" }
        return ChatBackendError(code, text)
    }

    static func errorCode(kind: String?, status: Int?) -> ChatBackendError.Code {
        let name = (kind ?? "").lowercased()
        let table: [(words: [String], code: ChatBackendError.Code)] = [
            (["auth", "permission", "api_key", "unauthenticated"], .upstreamAuth),
            (["rate", "quota", "resource_exhausted"], .upstreamRateLimited),
            (["timeout", "deadline"], .upstreamTimeout),
            (["invalid", "not_found", "failed_precondition", "too_large"], .upstreamProtocol),
            (["overloaded", "unavailable", "server", "internal", "api_error"], .upstreamUnavailable),
        ]
        if let match = table.first(where: { entry in entry.words.contains(where: name.contains) }) {
            return match.code
        }
        if let status, status >= 400 { return UpstreamFailure.code(forStatus: status) }
        return .upstreamUnavailable
    }
}

/// A JSON value that may be a string or a number (error `code` fields are either,
/// depending on the server), kept as text.
struct LooseString: Decodable, Equatable {
    var text: String

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else {
            text = String(try container.decode(Int.self))  // anything else is a real decoding error
        }
    }

    /// The value as an HTTP-like status when it is one.
    var status: Int? { Int(text) }
}
