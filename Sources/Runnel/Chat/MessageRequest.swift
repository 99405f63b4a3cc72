import Foundation
import HTTPServer

/// The body of `POST /api/message`, validated (README "The wire format"):
/// `{"message": "...", "conversation_id": "...", "backend": "...", "delay_ms": 0, "resumable": false}`.
struct MessageRequest: Sendable, Equatable {
    /// Longest conversation id, and its alphabet, so ids are safe in logs and keys.
    static let maxConversationIDLength = 128
    /// The conversation used when a request names none (the seed's `active_chat_session`).
    static let defaultConversationID = "default"
    /// Bounds of the echo backend's per-request pacing.
    static let delayRange = 0...60_000

    let message: String
    var conversationID: String
    let backend: String?
    let delayMs: Int?
    /// The reply goes on when its reader leaves, for a reload to pick it up (README "Replies").
    var resumable = false
    /// Whether the request named its conversation.
    var namesConversation = true

    private struct Body: Decodable {
        let message: String?
        let conversation_id: String?
        let backend: String?
        let delay_ms: Int?
        let resumable: Bool?
    }

    static func parse(_ body: [UInt8]) throws(HTTPError) -> MessageRequest {
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw fieldError(context.codingPath)
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
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
        return MessageRequest(
            message: message, conversationID: decoded.conversation_id ?? defaultConversationID,
            backend: decoded.backend, delayMs: decoded.delay_ms, resumable: decoded.resumable ?? false,
            namesConversation: decoded.conversation_id != nil)
    }

    private static func fieldError(_ path: [any CodingKey]) -> HTTPError {
        let field = path.map(\.stringValue).joined(separator: ".")
        switch field {
        case "delay_ms": return .invalidRequest("'delay_ms' must be a whole number from \(delayRange.lowerBound) to \(delayRange.upperBound)")
        case "resumable": return .invalidRequest("'resumable' must be true or false")
        default: return .invalidRequest("'\(field)' must be a string")
        }
    }

    static func isValidConversationID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maxConversationIDLength && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
        }
    }
}
