import ChatBackends
import HTTPServer

/// OpenAI's Chat Completions over any backend: `POST /v1/chat/completions` (streamed
/// `chat.completion.chunk` events ending with `data: [DONE]`, or one `chat.completion`)
/// and `GET /v1/models`. Reasoning goes out as `delta.reasoning_content` (DeepSeek's
/// name, which OpenAI-compatible clients read).
enum OpenAIFormat {
    static func request(_ body: [UInt8], backends: BackendSet) throws(HTTPError) -> ProviderRequest {
        let json = try ProviderBody(body)
        let model = try json.string("model", required: true) ?? ""
        let items = try json.array("messages", required: true) ?? []
        guard !items.isEmpty else { throw .providerInvalid("'messages' must hold at least one message", param: "messages") }
        var messages: [ChatMessage] = []
        for (index, item) in items.enumerated() {
            guard let fields = item as? [String: Any] else { throw .providerInvalid("'messages[\(index)]' must be an object", param: "messages") }
            let message = ProviderBody(fields: fields)
            let role: ChatMessage.Role = switch try message.string("role", required: true) {
            case "system", "developer": .system
            case "user": .user
            case "assistant": .assistant
            case let other:
                throw .providerInvalid("'messages[\(index)].role' is '\(other ?? "")'; use system, developer, user or assistant", param: "messages")
            }
            let text = try ProviderBody.text(of: fields["content"] ?? "", at: "messages[\(index)].content")
            if text.isEmpty && role == .user {
                throw .providerInvalid("'messages[\(index)].content' is empty", param: "messages")
            }
            messages.append(ChatMessage(role: role, content: text))
        }
        // `max_completion_tokens` is the newer name; a client sending both means it.
        let legacyMaxTokens = try json.int("max_tokens")
        let maxTokens = try json.int("max_completion_tokens") ?? legacyMaxTokens
        let temperature = try json.number("temperature", in: 0...2)
        if let count = try json.int("n"), count > 1 { throw .unsupportedChoiceCount(count, param: "n") }
        guard let backend = backends.backend(forModel: model) else { throw .unknownModel(model, known: backends.names) }
        let stream = try json.bool("stream")
        let includeUsage = try json.object("stream_options")?.bool("include_usage") ?? false
        return ProviderRequest(model: model, backend: backend, chat: ChatRequest(messages: messages, temperature: temperature, maxTokens: maxTokens),
                               stream: stream, includeUsage: includeUsage)
    }

    /// The `GET /v1/models` list.
    static func models(_ backends: BackendSet) -> JSON {
        .object([("object", .string("list")), ("data", .array(backends.modelIDs.map { id in
            .object([("id", .string(id)), ("object", .string("model")), ("created", .int(0)), ("owned_by", .string("runnel"))])
        }))])
    }

    /// The non-streamed `chat.completion`.
    static func completion(_ summary: ProviderReply.Summary) -> JSON {
        var message: [(String, JSON)] = [("role", .string("assistant")), ("content", .string(summary.text))]
        if !summary.reasoning.isEmpty { message.append(("reasoning_content", .string(summary.reasoning))) }
        return .object([
            ("id", .string("chatcmpl-" + summary.id)), ("object", .string("chat.completion")), ("created", .int(summary.created)),
            ("model", .string(summary.model)),
            ("choices", .array([.object([
                ("index", .int(0)), ("message", .object(message)), ("logprobs", .null),
                ("finish_reason", .string((summary.finish ?? .stop).rawValue)),
            ])])),
            ("usage", usage(summary)),
        ])
    }

    static func usage(_ summary: ProviderReply.Summary) -> JSON {
        var fields: [(String, JSON)] = [
            ("prompt_tokens", .int(summary.inputTokens)), ("completion_tokens", .int(summary.outputTokens)),
            ("total_tokens", .int(summary.inputTokens + summary.outputTokens)),
        ]
        if let reasoning = summary.usage.reasoningTokens {
            fields.append(("completion_tokens_details", .object([("reasoning_tokens", .int(reasoning))])))
        }
        return .object(fields)
    }

    /// The streamed `chat.completion.chunk` events.
    struct Encoder: ProviderReply.Encoder {
        let includeUsage: Bool
        /// An SSE comment: the SDK (like any SSE reader) skips it.
        let heartbeat: [UInt8]? = ServerSentEvent.comment("ping")
        /// A text chunk's bytes before and after `"content":"…"`: the same for every
        /// chunk of the stream, so made once (this runs once per token).
        private var head: [UInt8] = []
        private var tail: [UInt8] = []

        init(includeUsage: Bool) {
            self.includeUsage = includeUsage
        }

        mutating func start(_ summary: ProviderReply.Summary) -> [UInt8] {
            let whole = chunk(summary, delta: [("content", .string(""))])
            let marker = Array(#""content":"""#.utf8)
            let at = whole.firstRange(of: marker)!.lowerBound
            head = Array(whole[..<at])
            tail = Array(whole[(at + marker.count)...])
            return chunk(summary, delta: [("role", .string("assistant")), ("content", .string(""))])
        }

        func encode(_ event: ChatEvent, _ summary: ProviderReply.Summary) -> [UInt8] {
            switch event {
            case .delta(let piece): textChunk(#""content":"#, piece)
            case .reasoning(let piece): textChunk(#""reasoning_content":"#, piece)
            default: []
            }
        }

        private func textChunk(_ key: String, _ text: String) -> [UInt8] {
            var bytes = head
            bytes.reserveCapacity(head.count + tail.count + text.utf8.count + 24)
            bytes += key.utf8
            JSON.writeString(text, to: &bytes)
            return bytes + tail
        }

        func finish(_ summary: ProviderReply.Summary) -> [UInt8] {
            var bytes = chunk(summary, delta: [], finish: summary.finish ?? .stop)
            if includeUsage { bytes += ProviderReply.event(envelope(summary, choices: [], usage: OpenAIFormat.usage(summary))) }
            return bytes + Array("data: [DONE]\n\n".utf8)
        }

        /// OpenAI's own way: an `error` object as a chunk; the SDKs raise `APIError` on it.
        func fail(_ error: HTTPError, _ summary: ProviderReply.Summary) -> [UInt8] {
            ProviderReply.event(ProviderFormat.openAI.errorBody(error))
        }

        private func chunk(_ summary: ProviderReply.Summary, delta: [(String, JSON)], finish: ChatFinishReason? = nil) -> [UInt8] {
            let choice = JSON.object([
                ("index", .int(0)), ("delta", .object(delta)), ("logprobs", .null),
                ("finish_reason", finish.map { .string($0.rawValue) } ?? .null),
            ])
            return ProviderReply.event(envelope(summary, choices: [choice], usage: includeUsage ? .null : nil))
        }

        private func envelope(_ summary: ProviderReply.Summary, choices: [JSON], usage: JSON?) -> JSON {
            var fields: [(String, JSON)] = [
                ("id", .string("chatcmpl-" + summary.id)), ("object", .string("chat.completion.chunk")),
                ("created", .int(summary.created)), ("model", .string(summary.model)), ("choices", .array(choices)),
            ]
            if let usage { fields.append(("usage", usage)) }
            return .object(fields)
        }
    }
}
