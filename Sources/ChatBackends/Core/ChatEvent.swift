/// Token counts as the upstream reports them; `nil` when it did not say.
public struct ChatUsage: Sendable, Equatable, Codable {
    /// Tokens of prompt (history, system prompt and the new message).
    public var inputTokens: Int?
    /// Tokens of the reply.
    public var outputTokens: Int?

    /// Creates a usage record.
    public init(inputTokens: Int? = nil, outputTokens: Int? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}

/// What a backend's stream yields, in order of arrival.
public enum ChatEvent: Sendable, Equatable {
    /// A piece of the reply. Never empty: backends drop empty upstream deltas, so a
    /// consumer can forward every delta as a chunk without checking.
    case delta(String)
    /// Token counts; may come more than once (later values supersede earlier ones).
    case usage(ChatUsage)
    /// The model the upstream says answered, which can differ from the one asked for
    /// (aliases resolve to dated versions).
    case model(String)
}
