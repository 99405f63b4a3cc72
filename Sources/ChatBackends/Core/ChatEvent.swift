/// Token counts as the upstream reports them; `nil` when it did not say.
public struct ChatUsage: Sendable, Equatable, Codable {
    /// Tokens of prompt (history, system prompt and the new message).
    public var inputTokens: Int?
    /// Tokens of the reply.
    public var outputTokens: Int?
    /// Of the reply's tokens, those spent reasoning (OpenAI
    /// `completion_tokens_details.reasoning_tokens`, Gemini `thoughtsTokenCount`);
    /// `nil` when the provider does not say.
    public var reasoningTokens: Int?

    /// Creates a usage record.
    public init(inputTokens: Int? = nil, outputTokens: Int? = nil, reasoningTokens: Int? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.reasoningTokens = reasoningTokens
    }
}

/// Why the model stopped, in one vocabulary for every provider (the OpenAI names,
/// which the others map onto).
public enum ChatFinishReason: String, Sendable, Equatable {
    /// The reply is complete (OpenAI `stop`, Anthropic `end_turn`/`stop_sequence`, Gemini `STOP`).
    case stop
    /// The reply hit the token limit (`length`, `max_tokens`, `MAX_TOKENS`).
    case length
    /// The provider withheld the rest (`content_filter`, `refusal`, `SAFETY`…).
    case contentFilter = "content_filter"
    /// The model asked for a tool (`tool_calls`, `tool_use`).
    case toolCalls = "tool_calls"

    /// An OpenAI-compatible `finish_reason`; unknown values count as `stop`.
    public init(openAI value: String) {
        self = ChatFinishReason(rawValue: value) ?? (value == "function_call" ? .toolCalls : .stop)
    }

    /// An Anthropic `stop_reason`.
    public init(anthropic value: String) {
        switch value {
        case "max_tokens", "model_context_window_exceeded": self = .length
        case "refusal": self = .contentFilter
        case "tool_use": self = .toolCalls
        default: self = .stop
        }
    }

    /// A Gemini `finishReason`.
    public init(gemini value: String) {
        switch value {
        case "STOP", "FINISH_REASON_UNSPECIFIED": self = .stop
        case "MAX_TOKENS": self = .length
        case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL": self = .toolCalls
        default: self = .contentFilter  // SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, OTHER…
        }
    }
}

/// What a backend's stream yields, in order of arrival.
public enum ChatEvent: Sendable, Equatable {
    /// A piece of the reply. Never empty: backends drop empty upstream deltas, so a
    /// consumer can forward every delta as a chunk without checking.
    case delta(String)
    /// A piece of the model's reasoning ("thinking"), which comes before the reply it
    /// leads to. Never empty, like `delta`.
    case reasoning(String)
    /// Anthropic's signature over the reasoning so far (`signature_delta`): opaque, kept
    /// so it can be handed back to an Anthropic client.
    case reasoningSignature(String)
    /// Token counts; may come more than once (later values supersede earlier ones).
    case usage(ChatUsage)
    /// The model the upstream says answered, which can differ from the one asked for
    /// (aliases resolve to dated versions).
    case model(String)
    /// Why the reply ended; at most once, near the end.
    case finish(ChatFinishReason)
    /// A deliberate break of the client's stream, for testing clients against it: only
    /// the mock's scenarios yield it (README "Mock scenarios").
    case wireFault(WireFault)
}

/// How a stream is broken on purpose; what it looks like on the wire is the server's to say.
public enum WireFault: String, Sendable, Equatable {
    /// A frame that is not a valid event; the stream goes on after it.
    case malformedFrame = "malformed_frame"
    /// The connection closes here, with no closing events.
    case dropConnection = "drop_connection"
}
