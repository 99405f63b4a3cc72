import ChatBackends
import HTTPServer

/// Anthropic's Messages API over any backend: `POST /v1/messages`, streamed with its
/// event names in its order (`message_start`, `ping`, then per block `content_block_start`,
/// `content_block_delta` with `thinking_delta`/`signature_delta`/`text_delta`,
/// `content_block_stop`; then `message_delta` with the stop reason and usage, and
/// `message_stop`), or one `message`. Reasoning is a `thinking` block before the text.
enum AnthropicFormat {
    static func request(_ body: [UInt8], backends: BackendSet) throws(HTTPError) -> ProviderRequest {
        let json = try ProviderBody(body)
        let model = try json.string("model", required: true) ?? ""
        let maxTokens = try json.int("max_tokens", required: true)
        let temperature = try json.number("temperature", in: 0...1)
        let items = try json.array("messages", required: true) ?? []
        guard !items.isEmpty else { throw .providerInvalid("messages: at least one message is required") }
        var messages: [ChatMessage] = []
        for (index, item) in items.enumerated() {
            guard let fields = item as? [String: Any] else { throw .providerInvalid("messages.\(index): must be an object") }
            let role: ChatMessage.Role = switch try ProviderBody(fields: fields).string("role", required: true) {
            case "user": .user
            case "assistant": .assistant
            case let other:
                throw .providerInvalid("messages.\(index).role: '\(other ?? "")' is not one of user, assistant (the system prompt goes in 'system')")
            }
            let text = try ProviderBody.text(of: fields["content"] ?? "", at: "messages.\(index).content")
            if text.isEmpty && role == .user { throw .providerInvalid("messages.\(index).content: text content blocks must be non-empty") }
            messages.append(ChatMessage(role: role, content: text))
        }
        let system = try json.fields["system"].map { value throws(HTTPError) in try ProviderBody.text(of: value, at: "system") }
        guard let backend = backends.backend(forModel: model) else { throw .unknownModel(model, known: backends.names) }
        return ProviderRequest(model: model, backend: backend, chat: ChatRequest(messages: messages, system: system, temperature: temperature, maxTokens: maxTokens),
                               stream: try json.bool("stream"))
    }

    /// `end_turn`, `max_tokens`, `refusal`, `tool_use`.
    static func stopReason(_ reason: ChatFinishReason?) -> String {
        switch reason ?? .stop {
        case .stop: "end_turn"
        case .length: "max_tokens"
        case .contentFilter: "refusal"
        case .toolCalls: "tool_use"
        }
    }

    static func usage(_ summary: ProviderReply.Summary) -> JSON {
        .object([("input_tokens", .int(summary.inputTokens)), ("output_tokens", .int(summary.outputTokens))])
    }

    /// The non-streamed `message`.
    static func message(_ summary: ProviderReply.Summary) -> JSON {
        var content: [JSON] = []
        if !summary.reasoning.isEmpty {
            content.append(.object([("type", .string("thinking")), ("thinking", .string(summary.reasoning)), ("signature", .string(summary.signature))]))
        }
        content.append(.object([("type", .string("text")), ("text", .string(summary.text))]))
        return .object([
            ("id", .string("msg_" + summary.id)), ("type", .string("message")), ("role", .string("assistant")),
            ("model", .string(summary.model)), ("content", .array(content)),
            ("stop_reason", .string(stopReason(summary.finish))), ("stop_sequence", .null), ("usage", usage(summary)),
        ])
    }

    /// The streamed events; one block at a time, a new one when the kind changes.
    struct Encoder: ProviderReply.Encoder {
        /// Anthropic's own `ping` event, which its API also sends and its SDK expects.
        static let ping = ProviderReply.event("ping", .object([("type", .string("ping"))]))
        let heartbeat: [UInt8]? = Encoder.ping
        private enum Block: String { case thinking, text }
        private var open: Block?
        private var nextIndex = 0

        func start(_ summary: ProviderReply.Summary) -> [UInt8] {
            let message = JSON.object([
                ("id", .string("msg_" + summary.id)), ("type", .string("message")), ("role", .string("assistant")),
                ("content", .array([])), ("model", .string(summary.model)), ("stop_reason", .null), ("stop_sequence", .null),
                ("usage", .object([("input_tokens", .int(summary.inputTokens)), ("output_tokens", .int(0))])),
            ])
            return ProviderReply.event("message_start", .object([("type", .string("message_start")), ("message", message)]))
                + Self.ping
        }

        mutating func encode(_ event: ChatEvent, _ summary: ProviderReply.Summary) -> [UInt8] {
            switch event {
            case .reasoning(let text): switchTo(.thinking) + delta([("type", .string("thinking_delta")), ("thinking", .string(text))])
            case .reasoningSignature(let signature) where open == .thinking:
                delta([("type", .string("signature_delta")), ("signature", .string(signature))])
            case .delta(let text): switchTo(.text) + delta([("type", .string("text_delta")), ("text", .string(text))])
            default: []
            }
        }

        mutating func finish(_ summary: ProviderReply.Summary) -> [UInt8] {
            let closing = open == nil ? switchTo(.text) + close() : close()
            return closing
                + ProviderReply.event("message_delta", .object([
                    ("type", .string("message_delta")),
                    ("delta", .object([("stop_reason", .string(AnthropicFormat.stopReason(summary.finish))), ("stop_sequence", .null)])),
                    ("usage", AnthropicFormat.usage(summary)),
                ]))
                + ProviderReply.event("message_stop", .object([("type", .string("message_stop"))]))
        }

        /// Anthropic's mid-stream `error` event; the SDKs raise it as an API error.
        func fail(_ error: HTTPError, _ summary: ProviderReply.Summary) -> [UInt8] {
            ProviderReply.event("error", ProviderFormat.anthropic.errorBody(error))
        }

        private mutating func switchTo(_ block: Block) -> [UInt8] {
            guard open != block else { return [] }
            let closing = close()
            open = block
            let start: JSON = block == .thinking
                ? .object([("type", .string("thinking")), ("thinking", .string("")), ("signature", .string(""))])
                : .object([("type", .string("text")), ("text", .string(""))])
            return closing + ProviderReply.event("content_block_start", .object([
                ("type", .string("content_block_start")), ("index", .int(nextIndex)), ("content_block", start),
            ]))
        }

        private mutating func close() -> [UInt8] {
            guard open != nil else { return [] }
            open = nil
            defer { nextIndex += 1 }
            return ProviderReply.event("content_block_stop", .object([("type", .string("content_block_stop")), ("index", .int(nextIndex))]))
        }

        private func delta(_ fields: [(String, JSON)]) -> [UInt8] {
            ProviderReply.event("content_block_delta", .object([
                ("type", .string("content_block_delta")), ("index", .int(nextIndex)), ("delta", .object(fields)),
            ]))
        }
    }
}
