/// Reads Gemini's `alt=sse` stream: each event is a `GenerateContentResponse` with
/// `candidates[0].content.parts[*].text` (a part with `"thought": true` is a reasoning
/// summary), `usageMetadata` (with `thoughtsTokenCount`) and `modelVersion`.
///
/// There is no end marker; the last response carries a `finishReason`. Errors come as
/// `{"error": {"code", "message", "status"}}`; a blocked prompt or reply arrives as
/// `promptFeedback.blockReason` or a `finishReason` such as `SAFETY`.
struct GeminiStreamInterpreter: UpstreamEventInterpreter {
    let label: String
    let secrets: [String]
    /// Gemini closes the connection to end; there is no marker to wait for.
    let isComplete = false
    private var reportedModel: String?
    private var reportedUsage: ChatUsage?
    private var sawFinishReason = false
    private var sawText = false

    /// Finish reasons of a reply that ended normally.
    private static let normalFinishReasons: Set<String> = ["STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED"]

    init(label: String, secrets: [String]) {
        self.label = label
        self.secrets = secrets
    }

    mutating func interpret(_ event: SSEEventView, _ emit: (ChatEvent) -> Void) throws(ChatBackendError) {
        let response = try StreamPayload.read(event.data, label: label, Response.init)
        if let error = response.error {
            throw StreamPayload.streamError(kind: error.status, status: error.code.flatMap { Int($0) }, message: error.message,
                                            label: label, secrets: secrets)
        }
        if let reason = response.blockReason {
            throw ChatBackendError(.upstreamProtocol, "\(label): the prompt was blocked (\(reason))")
        }

        var events: [ChatEvent] = []  // emitted at the end: a blocked reply throws instead
        if let model = response.modelVersion, !model.isEmpty, model != reportedModel {
            reportedModel = model
            events.append(.model(model))
        }
        if let candidate = response.firstCandidate {
            for part in candidate.parts where !part.text.isEmpty {
                if part.thought {
                    events.append(.reasoning(part.text))
                } else {
                    sawText = true
                    events.append(.delta(part.text))
                }
            }
            if let reason = candidate.finishReason {
                sawFinishReason = true
                if !sawText && !Self.normalFinishReasons.contains(reason) {
                    throw ChatBackendError(.upstreamProtocol, "\(label): the reply was blocked (\(reason))")
                }
                events.append(.finish(ChatFinishReason(gemini: reason)))
            }
        }
        // Every response repeats the running totals; report them only when they change.
        if let usage = response.usage {
            if usage != reportedUsage {
                reportedUsage = usage
                events.append(.usage(usage))
            }
        }
        events.forEach(emit)
    }

    func finishWithoutCompletion() throws(ChatBackendError) {
        guard sawFinishReason else {
            throw ChatBackendError(.upstreamUnavailable, "\(label): the stream ended before the reply was complete")
        }
    }

    /// The fields of a response this reads (wire names in the `case`s); others are skipped.
    private struct Response {
        var firstCandidate: Candidate?
        /// `usageMetadata`: `promptTokenCount`, `candidatesTokenCount` and `thoughtsTokenCount`.
        var usage: ChatUsage?
        var modelVersion: String?
        /// `promptFeedback.blockReason`.
        var blockReason: String?
        var error: StreamPayload.ErrorObject?

        init(_ json: inout JSONReader) throws {
            try json.readObject { key, json in
                switch key {
                case "candidates": firstCandidate = try json.readFirstElement(Candidate.init)
                case "usageMetadata":
                    var candidates: Int?
                    var counts = try json.readObject(into: ChatUsage()) { key, json, usage in
                        switch key {
                        case "promptTokenCount": usage.inputTokens = try json.readInt()
                        case "candidatesTokenCount": candidates = try json.readInt()
                        case "thoughtsTokenCount": usage.reasoningTokens = try json.readInt()
                        default: break
                        }
                    }
                    // Gemini counts thoughts apart from the candidates; `ChatUsage`'s
                    // output tokens hold both, as OpenAI's and Anthropic's do.
                    let thoughts = counts?.reasoningTokens
                    if candidates != nil || thoughts != nil { counts?.outputTokens = (candidates ?? 0) + (thoughts ?? 0) }
                    usage = counts
                case "modelVersion": modelVersion = try json.readString()
                case "promptFeedback":
                    try json.readObject { key, json in
                        if key == "blockReason" { blockReason = try json.readString() }
                    }
                case "error": error = try StreamPayload.ErrorObject.read(&json)
                default: break
                }
            }
        }
    }

    private struct Candidate {
        /// The text parts of `content.parts`, in order; `thought`: a reasoning summary
        /// (`"thought": true`), not the reply.
        var parts: [(text: String, thought: Bool)] = []
        var finishReason: String?

        init(_ json: inout JSONReader) throws {
            try json.readObject { key, json in
                switch key {
                case "content":
                    try json.readObject { key, json in
                        guard key == "parts" else { return }
                        try json.readArray { json in
                            var text: String?
                            var thought: Bool?
                            try json.readObject { key, json in
                                switch key {
                                case "text": text = try json.readString()
                                case "thought": thought = try json.readBool()
                                default: break
                                }
                            }
                            if let text { parts.append((text, thought == true)) }
                        }
                    }
                case "finishReason": finishReason = try json.readString()
                default: break
                }
            }
        }
    }
}
