/// Reads Anthropic's Messages stream: `message_start` (model, input tokens),
/// `content_block_delta` with `text_delta` (the text), `message_delta` (output tokens),
/// `message_stop` (the end), `ping`, and `error` events.
///
/// Other block types (thinking, tool input) are not part of a chat reply and are skipped,
/// as are event types added after this was written, as Anthropic's versioning asks.
struct AnthropicStreamInterpreter: UpstreamEventInterpreter {
    let label: String
    let secrets: [String]
    private(set) var isComplete = false
    private var inputTokens: Int?

    init(label: String, secrets: [String]) {
        self.label = label
        self.secrets = secrets
    }

    mutating func interpret(_ event: SSEEvent) throws(ChatBackendError) -> [ChatEvent] {
        let payload = try StreamPayload.decode(Event.self, from: event.data, label: label)
        switch payload.type ?? event.type {
        case "message_start":
            var events: [ChatEvent] = []
            if let model = payload.message?.model, !model.isEmpty { events.append(.model(model)) }
            if let usage = payload.message?.usage {
                inputTokens = usage.totalInput
                events.append(.usage(ChatUsage(inputTokens: inputTokens, outputTokens: usage.output_tokens)))
            }
            return events
        case "content_block_delta":
            guard payload.delta?.type == "text_delta", let text = payload.delta?.text, !text.isEmpty else { return [] }
            return [.delta(text)]
        case "message_delta":
            guard let usage = payload.usage else { return [] }
            return [.usage(ChatUsage(inputTokens: usage.totalInput ?? inputTokens, outputTokens: usage.output_tokens))]
        case "message_stop":
            isComplete = true
            return []
        case "error":
            throw StreamPayload.streamError(kind: payload.error?.type, status: nil, message: payload.error?.message,
                                            label: label, secrets: secrets)
        default:
            return []  // ping, content_block_start/stop, and future event types
        }
    }

    func finishWithoutCompletion() throws(ChatBackendError) {
        throw ChatBackendError(.upstreamUnavailable, "\(label): the stream ended before message_stop")
    }

    // Wire shapes; property names are the wire names.
    private struct Event: Decodable {
        var type: String?
        var message: Message?
        var delta: Delta?
        var usage: Usage?
        var error: ErrorObject?
    }
    private struct Message: Decodable {
        var model: String?
        var usage: Usage?
    }
    private struct Delta: Decodable {
        var type: String?
        var text: String?
    }
    private struct Usage: Decodable {
        var input_tokens: Int?
        var output_tokens: Int?
        var cache_creation_input_tokens: Int?
        var cache_read_input_tokens: Int?

        /// Prompt caching splits the prompt into three counts; the prompt is their sum.
        var totalInput: Int? {
            guard let input_tokens else { return nil }
            return input_tokens + (cache_creation_input_tokens ?? 0) + (cache_read_input_tokens ?? 0)
        }
    }
    private struct ErrorObject: Decodable {
        var type: String?
        var message: String?
    }
}
