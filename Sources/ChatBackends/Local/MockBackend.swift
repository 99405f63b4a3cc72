/// A local stand-in for a model: scripted, deterministic replies paced like a real
/// stream, with fault injection by message prefix (see `MockCommand`, or send `/help`).
/// A message a scenario matches (README "Mock scenarios": a `--mocks` file, or a
/// built-in one) gets that scenario's reply instead.
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
    /// The scenarios tried before the scripted replies.
    public let scenarios: MockScenarioLibrary

    /// How many tokens `/error-mid` sends before failing.
    static let tokensBeforeMidStreamError = 12

    /// Creates a mock backend with the given pacing (negative values count as 0).
    public init(ttftMs: Int = 300, tokenDelayMs: Int = 25, scenarios: MockScenarioLibrary = MockScenarioLibrary()) {
        self.ttftMs = max(ttftMs, 0)
        self.tokenDelayMs = max(tokenDelayMs, 0)
        self.scenarios = scenarios
    }

    /// A scenario's `status` fault, which refuses the request before any stream.
    public func refusal(_ request: ChatRequest) -> ChatBackendError? {
        scenarios.match(request.lastUserText)?.refusal
    }

    /// Streams the matching scenario, or else the scripted reply to the request's newest
    /// user message.
    public func stream(_ request: ChatRequest) -> ChatEvents {
        if let scenario = scenarios.match(request.lastUserText) {
            let script = scenario.script(model: model, inputTokens: Self.estimatedTokens(request),
                                         pacing: (firstTokenMs: ttftMs, tokenDelayMs: tokenDelayMs), maxTokens: request.maxTokens)
            return ScriptedStream.play(count: script.count, script.step)
        }
        let command = MockCommand(parsing: request.lastUserText)
        let factor = command.slow ? MockCommand.slowFactor : 1
        let pacing = (first: ttftMs * factor, next: tokenDelayMs * factor)
        let model = self.model
        let inputTokens = Self.estimatedTokens(request)

        let text: String
        var failAfter: Int?
        var thinks = false
        switch command.kind {
        case .error:
            return ScriptedStream.play([.fail(ChatBackendError(.upstreamUnavailable, "mock: injected upstream failure (/error)"))])
        case .hang:
            return ScriptedStream.play([.hang])  // the first token never comes
        case .errorMidStream:
            text = Self.conversationalReply(command.text, request)
            failAfter = Self.tokensBeforeMidStreamError
        case .reply:
            text = Self.conversationalReply(command.text, request)
            thinks = MockReplies.thinksFirst(about: command.text)
        case .think:
            text = Self.conversationalReply(command.text, request)
            thinks = true
        case .long(let words): text = MockReplies.long(words: words)
        case .json: text = MockReplies.json(about: command.text, turn: Self.turn(of: request))
        case .html: text = MockReplies.html
        case .help: text = MockReplies.help + scenarioHelp
        }

        var steps: [ScriptedStream.Step] = [.event(.model(model))]
        // The reasoning phase: its pieces come first, paced like the reply's.
        let reasoning = thinks ? MockReplies.reasoning(about: command.text, turn: Self.turn(of: request)) : ""
        let thoughts = MockTokenizer.pieces(of: reasoning)
        for (index, piece) in thoughts.enumerated() {
            steps.append(.event(.reasoning(piece), afterMs: index == 0 ? pacing.first : pacing.next))
        }
        var pieces = MockTokenizer.pieces(of: text)
        var finish = ChatFinishReason.stop
        if let limit = request.maxTokens, pieces.count > limit {
            pieces = Array(pieces.prefix(max(limit, 0)))
            finish = .length
        }
        for (index, piece) in pieces.enumerated() {
            let pause = index == 0 && thoughts.isEmpty ? pacing.first : pacing.next
            if index == failAfter {
                steps.append(.fail(ChatBackendError(.upstreamUnavailable, "mock: injected upstream failure mid-stream (/error-mid)"), afterMs: pause))
                return ScriptedStream.play(steps)
            }
            steps.append(.event(.delta(piece), afterMs: pause))
        }
        // As OpenAI counts them: the reasoning tokens are part of the output.
        steps.append(.event(.finish(finish)))
        steps.append(.event(.usage(ChatUsage(inputTokens: inputTokens, outputTokens: pieces.count + thoughts.count,
                                             reasoningTokens: thinks ? thoughts.count : nil))))
        return ScriptedStream.play(steps)
    }

    /// The scenarios' part of `/help`: the built-in ones, then the folder's.
    private var scenarioHelp: String {
        var text = "\n\nScenarios shipped in the binary (README \"Mock scenarios\"):\n\n"
        text += BuiltInScenarios.summaries.map { "- `\($0.command)` — \($0.what)" }.joined(separator: "\n")
        let user = scenarios.userScenarios
        if !user.isEmpty {
            text += "\n\nScenarios from `--mocks` (they come first): "
            text += user.map { "**\($0.name)**" }.joined(separator: ", ")
        }
        return text
    }

    private static func conversationalReply(_ text: String, _ request: ChatRequest) -> String {
        let previous = request.messages.dropLast().last(where: { $0.role == .user })?.content
        return MockReplies.reply(to: text, turn: turn(of: request), previous: previous)
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
