/// A request reshaped the way provider APIs want it: one system prompt apart from the
/// alternating user/assistant turns.
struct ProviderPrompt: Equatable {
    /// The request's own system prompt (else the configured one), followed by any
    /// system-role messages of the history, joined by blank lines; `nil` when none.
    var system: String?
    /// The user and assistant turns, oldest first.
    var turns: [ChatMessage]

    /// - Parameter dropEmptyTurns: Anthropic and Gemini reject empty text (an
    ///   interrupted reply can leave one), so they drop such turns.
    init(_ request: ChatRequest, defaultSystem: String?, dropEmptyTurns: Bool) {
        var systemParts = [request.system ?? defaultSystem].compactMap { $0 }
        systemParts += request.messages.filter { $0.role == .system }.map(\.content)
        systemParts = systemParts.filter { !$0.isEmpty }
        system = systemParts.isEmpty ? nil : systemParts.joined(separator: "\n\n")
        turns = request.messages.filter { $0.role != .system && !(dropEmptyTurns && $0.content.isEmpty) }
    }
}
