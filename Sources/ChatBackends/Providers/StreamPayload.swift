import Foundation

/// Decoding and error mapping shared by the providers' stream interpreters.
enum StreamPayload {
    /// `data` read by `read` (see `JSONReader`), or an `upstream_protocol` error quoting
    /// the start of it when it is not JSON or not of the shape `read` expects.
    static func read<T>(_ data: UnsafeRawBufferPointer, label: String,
                        _ read: (inout JSONReader) throws -> T) throws(ChatBackendError) -> T {
        do {
            return try JSONReader.read(data, read)
        } catch {
            // Text decoding repairs invalid UTF-8 (U+FFFD), which the reader refuses in
            // bytes; an event that reads once repaired is taken, as it always was.
            let text = String(decoding: data, as: UTF8.self)
            do {
                return try JSONReader.read(text, read)
            } catch {
                let excerpt = text.count > 120 ? text.prefix(120) + "…" : Substring(text)
                throw ChatBackendError(.upstreamProtocol, "\(label): unreadable stream event: \(excerpt)")
            }
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

extension StreamPayload {
    /// An error object inside a stream, with the fields any provider uses: OpenAI
    /// `message`, `type`, `code`; Anthropic `type`, `message`; Gemini `code`, `message`,
    /// `status`.
    struct ErrorObject {
        var message: String?
        var type: String?
        var status: String?
        /// A string or a number depending on the server, kept as text.
        var code: String?

        /// The object, or `nil` for `null`.
        static func read(_ json: inout JSONReader) throws -> ErrorObject? {
            try json.readObject(into: ErrorObject()) { key, json, object in
                switch key {
                case "message": object.message = try json.readString()
                case "type": object.type = try json.readString()
                case "status": object.status = try json.readString()
                case "code": object.code = try json.peek() == .string ? json.readString() : json.readInt().map(String.init)
                default: break
                }
            }
        }
    }
}
