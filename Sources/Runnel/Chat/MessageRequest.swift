import ChatBackends
import Foundation
import HTTPServer

/// The body of `POST /api/message`, validated (README "The wire format"):
/// `{"message": "...", "conversation_id": "...", "backend": "...", "delay_ms": 0, "resumable": false}`
/// and the request options `system`, `temperature`, `max_tokens`, `model` and `history`.
struct MessageRequest: Sendable, Equatable {
    /// Longest conversation id, and its alphabet, so ids are safe in logs and keys.
    static let maxConversationIDLength = 128
    /// The conversation used when a request names none (the seed's `active_chat_session`).
    static let defaultConversationID = "default"
    /// Bounds of the echo backend's per-request pacing.
    static let delayRange = 0...60_000
    /// Longest `system` prompt, in UTF-8 bytes.
    static let maxSystemBytes = 32 * 1024
    /// The `temperature` a request may ask for: the widest range providers take (OpenAI's
    /// and Gemini's; Anthropic's is 0–1 and says so itself).
    static let temperatureRange = 0.0...2.0
    /// The `max_tokens` a request may ask for; providers refuse more than their models allow.
    static let maxTokensRange = 1...1_000_000
    /// Longest `model` name, in UTF-8 bytes.
    static let maxModelBytes = 256

    let message: String
    var conversationID: String
    let backend: String?
    let delayMs: Int?
    /// The reply goes on when its reader leaves, for a reload to pick it up (README "Replies").
    var resumable = false
    /// Whether the request named its conversation.
    var namesConversation = true
    /// The system prompt for this reply, instead of `--system` ("" sends none).
    var system: String?
    var temperature: Double?
    var maxTokens: Int?
    /// The model the chosen backend asks for, instead of its configured one.
    var model: String?
    /// The turns before `message`, sent by the client: they replace the conversation's
    /// stored history (README "History in the request"). Nil: the stored history.
    var history: [ChatMessage]?

    private struct Body: Decodable {
        struct Turn: Decodable {
            let role: String?
            let content: String?
        }
        let message: String?
        let conversation_id: String?
        let backend: String?
        let delay_ms: Int?
        let resumable: Bool?
        let system: String?
        let temperature: Double?
        /// Read as a number and checked whole below: Foundation's decoder reports a
        /// fraction for an `Int` as invalid JSON, without naming the field.
        let max_tokens: Double?
        let model: String?
        let history: [Turn]?
    }

    /// The request in `body`; `limits` bound its `history` as they bound a stored one.
    static func parse(_ body: [UInt8], limits: ConversationLimits = ConversationLimits()) throws(HTTPError) -> MessageRequest {
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw fieldError(context.codingPath)
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw fieldError(context.codingPath)
        } catch let DecodingError.valueNotFound(_, context) where !context.codingPath.isEmpty {
            throw fieldError(context.codingPath)
        } catch DecodingError.typeMismatch {
            throw .invalidRequest("the body must be a JSON object")
        } catch {
            throw .invalidJSON("the body is not valid JSON")
        }
        guard let message = decoded.message else { throw .invalidRequest("'message' is required and must be a string") }
        guard message.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw .invalidRequest("'message' must not be empty")
        }
        if let id = decoded.conversation_id, !isValidConversationID(id) {
            throw .invalidRequest("'conversation_id' must be 1–\(maxConversationIDLength) characters of A–Z, a–z, 0–9, _ and -")
        }
        if let delay = decoded.delay_ms, !delayRange.contains(delay) {
            throw .invalidRequest("'delay_ms' must be a whole number from \(delayRange.lowerBound) to \(delayRange.upperBound)")
        }
        if let system = decoded.system, system.utf8.count > maxSystemBytes {
            throw .invalidRequest("'system' must be at most \(maxSystemBytes) bytes of UTF-8")
        }
        if let temperature = decoded.temperature, !temperatureRange.contains(temperature) {
            throw fieldError("temperature")
        }
        var maxTokens: Int?
        if let number = decoded.max_tokens {
            guard number.rounded() == number, let whole = Int(exactly: number), maxTokensRange.contains(whole) else {
                throw fieldError("max_tokens")
            }
            maxTokens = whole
        }
        if let model = decoded.model, model.isEmpty || model.utf8.count > maxModelBytes {
            throw fieldError("model")
        }
        var request = MessageRequest(
            message: message, conversationID: decoded.conversation_id ?? defaultConversationID,
            backend: decoded.backend, delayMs: decoded.delay_ms, resumable: decoded.resumable ?? false,
            namesConversation: decoded.conversation_id != nil)
        request.system = decoded.system
        request.temperature = decoded.temperature
        request.maxTokens = maxTokens
        request.model = decoded.model
        request.history = try decoded.history.map { turns throws(HTTPError) in try history(turns, limits: limits) }
        return request
    }

    /// The client's turns, checked: roles, non-empty text, and no more than a conversation
    /// may hold (`--max-turns`, `--max-conversation-bytes`).
    private static func history(_ turns: [Body.Turn], limits: ConversationLimits) throws(HTTPError) -> [ChatMessage] {
        var history: [ChatMessage] = []
        history.reserveCapacity(turns.count)
        var bytes = 0
        for (index, turn) in turns.enumerated() {
            let role: ChatMessage.Role
            switch turn.role {
            case "user": role = .user
            case "assistant": role = .assistant
            default: throw .invalidRequest("'history[\(index)].role' must be \"user\" or \"assistant\"")
            }
            guard let content = turn.content, !content.isEmpty else {
                throw .invalidRequest("'history[\(index)].content' must be a non-empty string")
            }
            bytes += content.utf8.count
            history.append(ChatMessage(role: role, content: content))
        }
        if history.count > limits.maxTurns {
            throw .historyTooLarge("'history' holds \(history.count) turns; a conversation keeps at most \(limits.maxTurns) (--max-turns): send the latest ones")
        }
        if bytes > limits.maxBytes {
            throw .historyTooLarge("'history' holds \(bytes) bytes of text; a conversation keeps at most \(limits.maxBytes) (--max-conversation-bytes): send the latest turns")
        }
        return history
    }

    private static func fieldError(_ path: [any CodingKey]) -> HTTPError {
        var field = ""
        for key in path {
            if let index = key.intValue { field += "[\(index)]" } else { field += (field.isEmpty ? "" : ".") + key.stringValue }
        }
        if field.hasPrefix("history") {
            return .invalidRequest("'\(field)' is wrong: 'history' must be an array of {\"role\": \"user\" or \"assistant\", \"content\": string}")
        }
        return fieldError(field)
    }

    private static func fieldError(_ field: String) -> HTTPError {
        switch field {
        case "delay_ms": return .invalidRequest("'delay_ms' must be a whole number from \(delayRange.lowerBound) to \(delayRange.upperBound)")
        case "resumable": return .invalidRequest("'resumable' must be true or false")
        case "temperature": return .invalidRequest("'temperature' must be a number from \(temperatureRange.lowerBound) to \(temperatureRange.upperBound)")
        case "max_tokens": return .invalidRequest("'max_tokens' must be a whole number from \(maxTokensRange.lowerBound) to \(maxTokensRange.upperBound)")
        case "model": return .invalidRequest("'model' must be a string of 1–\(maxModelBytes) bytes")
        default: return .invalidRequest("'\(field)' must be a string")
        }
    }

    static func isValidConversationID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maxConversationIDLength && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
        }
    }
}
