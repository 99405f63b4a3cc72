/// Reads Anthropic's Messages stream: `message_start` (model, input tokens),
/// `content_block_delta` with `text_delta` (the text), `thinking_delta` (reasoning, in
/// `thinking` blocks) and `signature_delta` (the reasoning's signature), `message_delta`
/// (`stop_reason`, output tokens), `message_stop` (the end), `ping`, and `error` events.
///
/// Other block types (redacted thinking, tool input) are not part of a chat reply and are
/// skipped, as are event types added after this was written, as Anthropic's versioning asks.
struct AnthropicStreamInterpreter: UpstreamEventInterpreter {
    let label: String
    let secrets: [String]
    private(set) var isComplete = false
    private var inputTokens: Int?

    init(label: String, secrets: [String]) {
        self.label = label
        self.secrets = secrets
    }

    mutating func interpret(_ event: SSEEventView, _ emit: (ChatEvent) -> Void) throws(ChatBackendError) {
        let payload = try StreamPayload.read(event.data, label: label, Event.init)
        switch payload.type ?? event.type {
        case "message_start":
            if let model = payload.message?.model, !model.isEmpty { emit(.model(model)) }
            if let usage = payload.message?.usage {
                inputTokens = usage.totalInput
                emit(.usage(ChatUsage(inputTokens: inputTokens, outputTokens: usage.outputTokens)))
            }
        case "content_block_delta":
            guard let delta = payload.delta else { return }
            switch delta.type {
            case "text_delta": if let text = delta.text, !text.isEmpty { emit(.delta(text)) }
            case "thinking_delta": if let thinking = delta.thinking, !thinking.isEmpty { emit(.reasoning(thinking)) }
            case "signature_delta": if let signature = delta.signature, !signature.isEmpty { emit(.reasoningSignature(signature)) }
            default: break
            }
        case "message_delta":
            if let reason = payload.delta?.stopReason { emit(.finish(ChatFinishReason(anthropic: reason))) }
            guard let usage = payload.usage else { return }
            emit(.usage(ChatUsage(inputTokens: usage.totalInput ?? inputTokens, outputTokens: usage.outputTokens)))
        case "message_stop":
            isComplete = true
        case "error":
            throw StreamPayload.streamError(kind: payload.error?.type, status: nil, message: payload.error?.message,
                                            label: label, secrets: secrets)
        default:
            break  // ping, content_block_start/stop, and future event types
        }
    }

    func finishWithoutCompletion() throws(ChatBackendError) {
        throw ChatBackendError(.upstreamUnavailable, "\(label): the stream ended before message_stop")
    }

    /// The fields of an event this reads (wire names in the `case`s); others are skipped.
    private struct Event {
        var type: String?
        var message: (model: String?, usage: Usage?)?
        /// A block's delta, or `message_delta`'s (which has `stop_reason`).
        var delta: Delta?
        var usage: Usage?
        var error: StreamPayload.ErrorObject?

        init(_ json: inout JSONReader) throws {
            try json.readObject { key, json in
                switch key {
                case "type": type = try json.readString()
                case "message":
                    message = try json.readObject(into: (model: nil, usage: nil)) { key, json, message in
                        switch key {
                        case "model": message.model = try json.readString()
                        case "usage": message.usage = try Usage.read(&json)
                        default: break
                        }
                    }
                case "delta":
                    delta = try json.readObject(into: Delta()) { key, json, delta in
                        switch key {
                        case "type": delta.type = try json.readString()
                        case "text": delta.text = try json.readString()
                        case "thinking": delta.thinking = try json.readString()
                        case "signature": delta.signature = try json.readString()
                        case "stop_reason": delta.stopReason = try json.readString()
                        default: break
                        }
                    }
                case "usage": usage = try Usage.read(&json)
                case "error": error = try StreamPayload.ErrorObject.read(&json)
                default: break
                }
            }
        }
    }

    private struct Delta {
        var type: String?
        var text: String?
        var thinking: String?
        var signature: String?
        var stopReason: String?
    }

    private struct Usage {
        var inputTokens: Int?
        var outputTokens: Int?
        var cacheCreationInputTokens: Int?
        var cacheReadInputTokens: Int?

        /// Prompt caching splits the prompt into three counts; the prompt is their sum.
        var totalInput: Int? {
            guard let inputTokens else { return nil }
            return inputTokens + (cacheCreationInputTokens ?? 0) + (cacheReadInputTokens ?? 0)
        }

        /// The object, or `nil` for `null`.
        static func read(_ json: inout JSONReader) throws -> Usage? {
            try json.readObject(into: Usage()) { key, json, usage in
                switch key {
                case "input_tokens": usage.inputTokens = try json.readInt()
                case "output_tokens": usage.outputTokens = try json.readInt()
                case "cache_creation_input_tokens": usage.cacheCreationInputTokens = try json.readInt()
                case "cache_read_input_tokens": usage.cacheReadInputTokens = try json.readInt()
                default: break
                }
            }
        }
    }
}
