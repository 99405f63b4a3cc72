import Foundation

/// Reads OpenAI's `chat.completion.chunk` stream.
///
/// Each event is a chunk with `model`, `choices[0].delta.content` and, at the end when
/// `include_usage` was asked for, a `usage` object with empty `choices`; `data: [DONE]`
/// ends the stream. Errors can arrive inside the stream as `{"error": {…}}`.
struct OpenAIStreamInterpreter: UpstreamEventInterpreter {
    let label: String
    let secrets: [String]
    private(set) var isComplete = false
    private var reportedModel: String?
    private var sawFinishReason = false

    init(label: String, secrets: [String]) {
        self.label = label
        self.secrets = secrets
    }

    mutating func interpret(_ event: SSEEvent) throws(ChatBackendError) -> [ChatEvent] {
        // Trimmed natively: Foundation's `trimmingCharacters` goes through UTF-16 and was
        // the largest single cost of a proxied stream. JSON ignores the spaces anyway.
        let data = event.data
        if data.utf8.count < 16, data.trimmingPrefix(while: \.isWhitespace).prefix(while: { !$0.isWhitespace }) == "[DONE]" {
            isComplete = true
            return []
        }
        let chunk = try StreamPayload.decode(Chunk.self, from: data, label: label)
        if let error = chunk.error {
            throw StreamPayload.streamError(kind: error.type ?? error.code?.text, status: error.code?.status,
                                            message: error.message, label: label, secrets: secrets)
        }
        var events: [ChatEvent] = []
        if let model = chunk.model, !model.isEmpty, model != reportedModel {
            reportedModel = model
            events.append(.model(model))
        }
        if let choice = chunk.choices?.first {
            if let content = choice.delta?.content, !content.isEmpty { events.append(.delta(content)) }
            if choice.finish_reason != nil { sawFinishReason = true }
        }
        if let usage = chunk.usage {
            events.append(.usage(ChatUsage(inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens)))
        }
        return events
    }

    /// Some compatible servers close without `[DONE]`; that is fine once a choice has
    /// finished, and a reply cut short otherwise.
    func finishWithoutCompletion() throws(ChatBackendError) {
        guard sawFinishReason else {
            throw ChatBackendError(.upstreamUnavailable, "\(label): the stream ended before the reply was complete")
        }
    }

    // Wire shapes; property names are the wire names.
    private struct Chunk: Decodable {
        var model: String?
        var choices: [Choice]?
        var usage: Usage?
        var error: ErrorObject?
    }
    private struct Choice: Decodable {
        var delta: Delta?
        var finish_reason: String?
    }
    private struct Delta: Decodable {
        var content: String?
    }
    private struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?
    }
    private struct ErrorObject: Decodable {
        var message: String?
        var type: String?
        var code: LooseString?
    }
}
