/// Reads OpenAI's `chat.completion.chunk` stream.
///
/// Each event is a chunk with `model`, `choices[0].delta.content` (reasoning models add
/// `delta.reasoning_content` — DeepSeek, vLLM, llama.cpp — or `delta.reasoning` —
/// OpenRouter, Ollama), `choices[0].finish_reason` and, at the end when `include_usage`
/// was asked for, a `usage` object (with `completion_tokens_details.reasoning_tokens`)
/// and empty `choices`; `data: [DONE]` ends the stream. Errors can arrive inside the stream as `{"error": {…}}`.
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

    mutating func interpret(_ event: SSEEventView, _ emit: (ChatEvent) -> Void) throws(ChatBackendError) {
        // Looked for in the bytes: the first word, whatever spaces surround it.
        let data = event.data
        if data.count < 16, data.drop(while: JSONBytes.isWhitespace).prefix(while: { !JSONBytes.isWhitespace($0) })
            .elementsEqual("[DONE]".utf8) {
            isComplete = true
            return
        }
        let chunk = try StreamPayload.read(data, label: label, Chunk.init)
        if let error = chunk.error {
            throw StreamPayload.streamError(kind: error.type ?? error.code, status: error.code.flatMap { Int($0) },
                                            message: error.message, label: label, secrets: secrets)
        }
        if let model = chunk.model, !model.isEmpty, model != reportedModel {
            reportedModel = model
            emit(.model(model))
        }
        if let choice = chunk.firstChoice {
            if let reasoning = choice.reasoning, !reasoning.isEmpty { emit(.reasoning(reasoning)) }
            if let content = choice.content, !content.isEmpty { emit(.delta(content)) }
            if let reason = choice.finishReason {
                sawFinishReason = true
                emit(.finish(ChatFinishReason(openAI: reason)))
            }
        }
        if let usage = chunk.usage {
            emit(.usage(usage))
        }
    }

    /// Some compatible servers close without `[DONE]`; that is fine once a choice has
    /// finished, and a reply cut short otherwise.
    func finishWithoutCompletion() throws(ChatBackendError) {
        guard sawFinishReason else {
            throw ChatBackendError(.upstreamUnavailable, "\(label): the stream ended before the reply was complete")
        }
    }

    /// The fields of a chunk this reads (wire names in the `case`s); others are skipped.
    private struct Chunk {
        var model: String?
        var firstChoice: Choice?
        var usage: ChatUsage?
        var error: StreamPayload.ErrorObject?

        init(_ json: inout JSONReader) throws {
            try json.readObject { key, json in
                switch key {
                case "model": model = try json.readString()
                case "choices": firstChoice = try json.readFirstElement(Choice.init)
                case "usage": usage = try Self.usage(&json)
                case "error": error = try StreamPayload.ErrorObject.read(&json)
                default: break
                }
            }
        }

        /// `prompt_tokens`, `completion_tokens` and `completion_tokens_details.reasoning_tokens`.
        static func usage(_ json: inout JSONReader) throws -> ChatUsage? {
            try json.readObject(into: ChatUsage()) { key, json, usage in
                switch key {
                case "prompt_tokens": usage.inputTokens = try json.readInt()
                case "completion_tokens": usage.outputTokens = try json.readInt()
                case "completion_tokens_details":
                    try json.readObject { key, json in
                        if key == "reasoning_tokens" { usage.reasoningTokens = try json.readInt() }
                    }
                default: break
                }
            }
        }
    }

    private struct Choice {
        var content: String?
        /// `reasoning_content` or `reasoning`, whichever the server uses.
        var reasoning: String?
        var finishReason: String?

        init(_ json: inout JSONReader) throws {
            try json.readObject { key, json in
                switch key {
                case "delta":
                    try json.readObject { key, json in
                        switch key {
                        case "content": content = try json.readString()
                        case "reasoning_content", "reasoning": reasoning = try json.readString() ?? reasoning
                        default: break
                        }
                    }
                case "finish_reason": finishReason = try json.readString()
                default: break
                }
            }
        }
    }
}
