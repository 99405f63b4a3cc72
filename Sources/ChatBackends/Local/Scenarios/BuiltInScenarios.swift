/// The scenarios shipped in the binary (README "Mock scenarios"): the whole built-in mock,
/// written in the same format as a user's files, so one mechanism serves both, and a
/// folder's file (matched first) can replace any of them. Between built-ins the regexes
/// are tried in this order, so the commands (`/help`…, the stress cases and faults) come
/// before the parts a message's words ask for, and the conversation, which answers
/// anything, comes last.
public enum BuiltInScenarios {
    /// Every built-in scenario, parsed once (on first use: `MockScenarioLibrary`).
    public static let all: [MockScenario] = files.compactMap { name, text in
        try? MockScenarioParser.parse(text, name: name, source: "built-in \(name)")
    }

    /// Name and file text of each built-in, in the order they are tried.
    static let files: [(name: String, text: String)] = CommandScenarios.files + ConversationScenarios.commands
        + StressScenarios.files + TopicScenarios.files + ConversationScenarios.fallbacks
}
