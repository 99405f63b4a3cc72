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
            if let content = choice.content, !content.isEmpty { emit(.delta(content)) }
            if choice.finishReason != nil { sawFinishReason = true }
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
                case "usage": usage = try StreamPayload.usage(&json, input: "prompt_tokens", output: "completion_tokens")
                case "error": error = try StreamPayload.ErrorObject.read(&json)
                default: break
                }
            }
        }
    }

    private struct Choice {
        var content: String?
        var finishReason: String?

        init(_ json: inout JSONReader) throws {
            try json.readObject { key, json in
                switch key {
                case "delta":
                    try json.readObject { key, json in
                        if key == "content" { content = try json.readString() }
                    }
                case "finish_reason": finishReason = try json.readString()
                default: break
                }
            }
        }
    }
}
