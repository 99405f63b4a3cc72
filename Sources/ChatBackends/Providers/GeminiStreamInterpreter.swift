/// Reads Gemini's `alt=sse` stream: each event is a `GenerateContentResponse` with
/// `candidates[0].content.parts[*].text`, `usageMetadata` and `modelVersion`.
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

    mutating func interpret(_ event: SSEEvent) throws(ChatBackendError) -> [ChatEvent] {
        let response = try StreamPayload.decode(Response.self, from: event.data, label: label)
        if let error = response.error {
            throw StreamPayload.streamError(kind: error.status, status: error.code, message: error.message,
                                            label: label, secrets: secrets)
        }
        if let reason = response.promptFeedback?.blockReason {
            throw ChatBackendError(.upstreamProtocol, "\(label): the prompt was blocked (\(reason))")
        }

        var events: [ChatEvent] = []
        if let model = response.modelVersion, !model.isEmpty, model != reportedModel {
            reportedModel = model
            events.append(.model(model))
        }
        if let candidate = response.candidates?.first {
            // Thought summaries (`thought: true`) are the model's reasoning, not its reply.
            for part in candidate.content?.parts ?? [] where part.thought != true {
                if let text = part.text, !text.isEmpty {
                    sawText = true
                    events.append(.delta(text))
                }
            }
            if let reason = candidate.finishReason {
                sawFinishReason = true
                if !sawText && !Self.normalFinishReasons.contains(reason) {
                    throw ChatBackendError(.upstreamProtocol, "\(label): the reply was blocked (\(reason))")
                }
            }
        }
        // Every response repeats the running totals; report them only when they change.
        if let metadata = response.usageMetadata {
            let usage = ChatUsage(inputTokens: metadata.promptTokenCount, outputTokens: metadata.candidatesTokenCount)
            if usage != reportedUsage {
                reportedUsage = usage
                events.append(.usage(usage))
            }
        }
        return events
    }

    func finishWithoutCompletion() throws(ChatBackendError) {
        guard sawFinishReason else {
            throw ChatBackendError(.upstreamUnavailable, "\(label): the stream ended before the reply was complete")
        }
    }

    // Wire shapes; property names are the wire names.
    private struct Response: Decodable {
        var candidates: [Candidate]?
        var usageMetadata: UsageMetadata?
        var modelVersion: String?
        var promptFeedback: PromptFeedback?
        var error: ErrorObject?
    }
    private struct Candidate: Decodable {
        var content: Content?
        var finishReason: String?
    }
    private struct Content: Decodable {
        var parts: [Part]?
    }
    private struct Part: Decodable {
        var text: String?
        var thought: Bool?
    }
    private struct UsageMetadata: Decodable {
        var promptTokenCount: Int?
        var candidatesTokenCount: Int?
    }
    private struct PromptFeedback: Decodable {
        var blockReason: String?
    }
    private struct ErrorObject: Decodable {
        var code: Int?
        var message: String?
        var status: String?
    }
}
