/// One turn of a conversation, as the backends see it.
///
/// ```swift
/// let history = [ChatMessage(role: .user, content: "Hello")]
/// ```
public struct ChatMessage: Sendable, Equatable, Codable {
    /// Who spoke. Providers spell these differently (Gemini calls the assistant "model");
    /// each backend translates.
    public enum Role: String, Sendable, Codable {
        case system, user, assistant
    }

    /// Who spoke.
    public var role: Role
    /// What was said, as plain text.
    public var content: String

    /// Creates a turn.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// Everything a backend needs to produce one reply.
public struct ChatRequest: Sendable {
    /// The conversation so far, oldest first, with the new user turn last.
    public var messages: [ChatMessage]
    /// A system prompt; when set it overrides the configured one ("" sends none).
    public var system: String?
    /// Milliseconds between chunks. Only `echo` honours it (0–60000); others ignore it.
    public var delayMs: Int?
    /// Sampling temperature, sent in the provider's own field (OpenAI and Anthropic
    /// `temperature`, Gemini `generationConfig.temperature`); `nil` sends none, leaving
    /// the provider's default. Local backends ignore it.
    public var temperature: Double?
    /// The longest reply in tokens, sent in the provider's own field (OpenAI and Anthropic
    /// `max_tokens`, Gemini `generationConfig.maxOutputTokens`); `nil` sends none (Anthropic,
    /// which requires one, then sends its configured default). Local backends ignore it.
    public var maxTokens: Int?

    /// Creates a request.
    public init(messages: [ChatMessage], system: String? = nil, delayMs: Int? = nil,
                temperature: Double? = nil, maxTokens: Int? = nil) {
        self.messages = messages
        self.system = system
        self.delayMs = delayMs
        self.temperature = temperature
        self.maxTokens = maxTokens
    }

    /// The newest user turn's text, or "" when there is none.
    var lastUserText: String {
        messages.last(where: { $0.role == .user })?.content ?? ""
    }
}
