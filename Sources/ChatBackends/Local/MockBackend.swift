/// A local stand-in for a model: deterministic replies paced like a real stream, with
/// fault injection on demand. Every reply is a scenario (README "Mock scenarios"): a
/// `--mocks` file's, else a built-in one (``BuiltInScenarios``; send `/help`), which answer
/// any message; only `/slow` and `/long N` are code (``MockCommand`` says why).
///
/// The default backend, so a first run shows what a reply looks like (markdown, code,
/// a JSON block, model-like pacing) without an API key.
///
/// Of the generation options it honours `maxTokens` the way a model does: the answer
/// stops after that many tokens with finish reason `length`. It ignores `temperature`.
public struct MockBackend: ChatBackend {
    /// Always "mock".
    public let name = "mock"
    /// Always "mock-1".
    public let model = "mock-1"
    /// Always "local".
    public let kind = "local"
    /// Delay before the first token ("time to first token").
    public let ttftMs: Int
    /// Delay between tokens.
    public let tokenDelayMs: Int
    /// The scenarios that answer: the user's, then the built-in ones.
    public let scenarios: MockScenarioLibrary

    /// Creates a mock backend with the given pacing (negative values count as 0).
    public init(ttftMs: Int = 300, tokenDelayMs: Int = 25, scenarios: MockScenarioLibrary = MockScenarioLibrary()) {
        self.ttftMs = max(ttftMs, 0)
        self.tokenDelayMs = max(tokenDelayMs, 0)
        self.scenarios = scenarios
    }

    /// A scenario's `status` fault, which refuses the request before any stream.
    public func refusal(_ request: ChatRequest) -> ChatBackendError? {
        let command = MockCommand(parsing: request.lastUserText)
        guard command.kind == .scenario else { return nil }
        return scenarios.match(command.text)?.refusal
    }

    /// Streams the scenario answering the request's newest user message (the built-in
    /// ones answer anything), or the reply of `/long N`; `/slow` stretches either.
    public func stream(_ request: ChatRequest) -> ChatEvents {
        let command = MockCommand(parsing: request.lastUserText)
        let scenario: MockScenario
        switch command.kind {
        case .long(let words):
            scenario = MockScenario(name: "long", source: "built-in", triggers: [], reply: MockText.prose(words: words))
        case .scenario:
            let previous = request.messages.dropLast().last(where: { $0.role == .user })?.content
            guard let found = scenarios.answer(command.text, turn: Self.turn(of: request), previous: previous) else {
                // Only a library without the built-ins (tests) can leave a message unanswered.
                return ScriptedStream.play([.fail(ChatBackendError(.upstreamUnavailable, "mock: no scenario answers this message"))])
            }
            scenario = found
        }
        let script = scenario.script(model: model, inputTokens: Self.estimatedTokens(request),
                                     pacing: (firstTokenMs: ttftMs, tokenDelayMs: tokenDelayMs), maxTokens: request.maxTokens,
                                     slowdown: command.slow ? MockCommand.slowFactor : 1)
        return ScriptedStream.play(count: script.count, script.step)
    }

    /// Which user message of the conversation this is, counting from 1.
    static func turn(of request: ChatRequest) -> Int {
        max(request.messages.filter { $0.role == .user }.count, 1)
    }

    /// A plausible prompt size: about four characters per token, as for English text.
    static func estimatedTokens(_ request: ChatRequest) -> Int {
        let characters = request.messages.reduce(request.system?.count ?? 0) { $0 + $1.content.count }
        return (characters + 3) / 4
    }
}
