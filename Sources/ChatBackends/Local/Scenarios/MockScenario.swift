import Foundation

/// One reply the mock plays when a message matches its trigger: the text (with optional
/// reasoning before it), how it is paced, and the faults injected on the way (README
/// "Mock scenarios"). Written by a person as a file (``MockScenarioParser``), or shipped
/// in the binary (``BuiltInScenarios``).
///
/// A fixed reply is cut into pieces and planned once, when the scenario is made; a stream
/// only walks the plan (``MockScenario/script(model:inputTokens:pacing:maxTokens:slowdown:)``).
/// A reply with placeholders or alternatives (``MockTemplate``) is made per request by
/// ``MockScenario/answering(_:)``, which costs one cut of its text, as any generated reply does.
public struct MockScenario: Sendable {
    /// What a message must be, start with or match for this scenario to answer it. The
    /// message is compared with its surrounding whitespace removed.
    public enum Trigger: Sendable {
        case exact(String)
        case prefix(String)
        case regex(MockPattern)
    }

    /// When the pieces come.
    public struct Timing: Sendable, Equatable {
        /// Before the first piece; nil: the backend's `--mock-ttft-ms`.
        public var firstTokenMs: Int?
        /// The steady pace; nil: one piece every `--mock-delay-ms`; 0: no pause at all.
        public var tokensPerSecond: Double?
        /// Pieces `at ..< at + length` come without a pause between them.
        public var bursts: [Span] = []
        /// A pause of `length` ms more before piece `at`.
        public var stalls: [Span] = []

        public init(firstTokenMs: Int? = nil, tokensPerSecond: Double? = nil, bursts: [Span] = [], stalls: [Span] = []) {
            self.firstTokenMs = firstTokenMs
            self.tokensPerSecond = tokensPerSecond
            self.bursts = bursts
            self.stalls = stalls
        }
    }

    /// A burst (`length` pieces) or a stall (`length` ms) at piece `at` (from 0).
    public struct Span: Sendable, Equatable {
        public var at: Int
        public var length: Int
        public init(at: Int, length: Int) { self.at = at; self.length = length }
    }

    /// A fault injected into the reply. `after` counts the pieces sent before it
    /// (reasoning and reply pieces alike); past the last piece it comes at the end.
    public enum Fault: Sendable, Equatable {
        /// The request is refused with this HTTP status before any stream
        /// (``ChatBackend/refusal(_:)``).
        case status(Int)
        /// An `error` event with this code after `after` pieces; the reply ends there.
        case error(after: Int, code: ChatBackendError.Code)
        /// No piece after `after`: the stream stays open until the client gives up.
        case hang(after: Int)
        /// The connection is closed after `after` pieces, with no closing events.
        case drop(after: Int)
        /// A frame that is not a valid event after `after` pieces; the reply goes on.
        case malformed(after: Int)

        /// Whether the reply stops where this fault strikes.
        var endsTheReply: Bool {
            switch self {
            case .error, .hang, .drop: true
            case .status, .malformed: false
            }
        }

        var after: Int? {
            switch self {
            case .status: nil
            case .error(let after, _), .hang(let after), .drop(let after), .malformed(let after): after
            }
        }
    }

    /// The file name without `.txt` (built-ins: their own name).
    public let name: String
    /// Where it came from, for messages: `mocks/table.txt`, or `built-in`.
    public let source: String
    /// Any one of them matching is enough.
    public let triggers: [Trigger]
    public let reasoning: String
    /// The replies (one per `--- reply` section; a message picks one by a stable hash of its
    /// text), each with the `--- json` section appended as a fenced block when there is one.
    public let replies: [String]
    /// The first reply.
    public var reply: String { replies[0] }
    /// A part's title (`part:`): every part matching a message answers it together.
    public let part: String?
    public let timing: Timing
    public let faults: [Fault]
    /// Whether the text has placeholders or alternatives, so is made per request.
    let isTemplate: Bool
    /// The reasoning's pieces, then the reply's (none for a template).
    let pieces: [ChatEvent]
    let reasoningPieces: Int
    private let plan: [Planned]

    public init(name: String, source: String, triggers: [Trigger], reasoning: String = "", reply: String,
                timing: Timing = Timing(), faults: [Fault] = []) {
        self.init(name: name, source: source, triggers: triggers, reasoning: reasoning, replies: [reply],
                  timing: timing, faults: faults)
    }

    /// `replies` must not be empty; `expanded`: the text is a template's, already filled in.
    init(name: String, source: String, triggers: [Trigger], reasoning: String = "", replies: [String], part: String? = nil,
         timing: Timing = Timing(), faults: [Fault] = [], expanded: Bool = false) {
        self.name = name
        self.source = source
        self.triggers = triggers
        self.reasoning = reasoning
        self.replies = replies.isEmpty ? [""] : replies
        self.part = part
        self.timing = timing
        self.faults = faults
        isTemplate = !expanded && (replies.count > 1 || MockTemplate.isTemplate(reasoning) || replies.contains(where: MockTemplate.isTemplate))
        if isTemplate {
            pieces = []
            reasoningPieces = 0
            plan = []
            return
        }
        let thoughts = MockTokenizer.pieces(of: reasoning).map(ChatEvent.reasoning)
        pieces = thoughts + MockTokenizer.pieces(of: self.replies[0]).map(ChatEvent.delta)
        reasoningPieces = thoughts.count
        plan = Self.plan(pieces: pieces.count, faults: faults, name: name)
    }

    /// The scenario as it answers one request: itself when its text is fixed, else its
    /// reply picked by a stable hash of the message and its placeholders filled in.
    func answering(_ values: MockTemplate.Values) -> MockScenario {
        guard isTemplate else { return self }
        let reply = replies[Int(MockText.stableHash(values.message) % UInt64(replies.count))]
        return MockScenario(name: name, source: source, triggers: triggers, reasoning: MockTemplate.expand(reasoning, values),
                            replies: [MockTemplate.expand(reply, values)], part: part, timing: timing, faults: faults, expanded: true)
    }

    /// The HTTP status this scenario answers instead of a stream, if it has a `status` fault.
    public var refusalStatus: Int? {
        for case .status(let status) in faults { return status }
        return nil
    }

    /// The failure that refuses the request with `refusalStatus`; its code is the one the
    /// status stands for, so clients that read codes see the same failure.
    public var refusal: ChatBackendError? {
        refusalStatus.map { Self.refusal(status: $0, name: name) }
    }

    private static func refusal(status: Int, name: String) -> ChatBackendError {
        ChatBackendError(code(forStatus: status), "mock: scenario '\(name)' answers HTTP \(status) (fault: status)", status: status)
    }

    /// What an upstream answering `status` means, in the wire format's codes.
    static func code(forStatus status: Int) -> ChatBackendError.Code {
        switch status {
        case 401, 403: .upstreamAuth
        case 429: .upstreamRateLimited
        case 408, 504: .upstreamTimeout
        case 500...: .upstreamUnavailable
        default: .upstreamProtocol
        }
    }

    // MARK: - Playing

    /// One step of the plan; pieces are played by index so the plan stays small.
    private enum Planned: Sendable {
        case model
        case piece(Int)
        case wire(WireFault, atPiece: Int)
        case fail(ChatBackendError, atPiece: Int)
        case hang(atPiece: Int)
        case finish
        case usage

        /// The piece this step stands at; nil for the steps before and after the pieces.
        var piece: Int? {
            switch self {
            case .piece(let index), .wire(_, let index), .fail(_, let index), .hang(let index): index
            case .model, .finish, .usage: nil
            }
        }
    }

    private static func plan(pieces count: Int, faults: [Fault], name: String) -> [Planned] {
        if let status = faults.lazy.compactMap({ if case .status(let status) = $0 { status } else { nil } }).first {
            return [.fail(refusal(status: status, name: name), atPiece: 0)]
        }
        // Faults in the order they strike; a fault past the last piece strikes at the end.
        let timed = faults.compactMap { fault in fault.after.map { (at: min($0, count), fault: fault) } }
            .sorted { $0.at < $1.at }
        // A reply that ends before its first piece (`error`, `hang`, `drop` after 0) says
        // nothing at all, not even its model, as an upstream failing at once does.
        let endsAtOnce = timed.contains { $0.at == 0 && $0.fault.endsTheReply }
        var plan: [Planned] = endsAtOnce ? [] : [.model]
        var next = timed[...]
        var index = 0
        while index <= count {
            while let (at, fault) = next.first, at == index {
                next = next.dropFirst()
                switch fault {
                case .malformed: plan.append(.wire(.malformedFrame, atPiece: index))
                case .drop:
                    plan.append(.wire(.dropConnection, atPiece: index))
                    return plan
                case .hang:
                    plan.append(.hang(atPiece: index))
                    return plan
                case .error(_, let code):
                    plan.append(.fail(ChatBackendError(code, "mock: injected upstream failure (scenario '\(name)', fault: error after \(index))"), atPiece: index))
                    return plan
                case .status: break
                }
            }
            if index < count { plan.append(.piece(index)) }
            index += 1
        }
        return plan + [.finish, .usage]
    }

    /// The scenario's steps for one stream: as many as `count`, made one at a time by
    /// `step` (for `ScriptedStream.play(count:_:)`). With `maxTokens` (a request's
    /// `max_tokens`) fewer than the reply's pieces, the reply is cut there and finishes
    /// with `length`, as the mock's own replies do; a fault planned before the cut still strikes.
    /// `slowdown` multiplies every pause (`/slow`). A template plays as its text is, unfilled:
    /// call it on ``answering(_:)``'s scenario.
    func script(model: String, inputTokens: Int, pacing: (firstTokenMs: Int, tokenDelayMs: Int), maxTokens: Int? = nil,
                slowdown: Int = 1) -> (count: Int, step: @Sendable (Int) -> ScriptedStream.Step) {
        if isTemplate {
            return answering(MockTemplate.Values(message: "", rest: "")).script(model: model, inputTokens: inputTokens, pacing: pacing,
                                                                                maxTokens: maxTokens, slowdown: slowdown)
        }
        let scenario = self
        var cut: (step: Int, pieces: Int)?
        if let maxTokens, reasoningPieces + max(maxTokens, 0) < pieces.count {
            let pieces = reasoningPieces + max(maxTokens, 0)
            // The plan's piece positions only grow: the first step at or past the cut.
            if let step = plan.firstIndex(where: { ($0.piece ?? -1) >= pieces }) { cut = (step, pieces) }
        }
        guard let cut else {
            return (plan.count, { index in scenario.step(scenario.plan[index], model: model, inputTokens: inputTokens, pacing: pacing, slowdown: slowdown) })
        }
        return (cut.step + 2, { index in
            switch index - cut.step {
            case ..<0: scenario.step(scenario.plan[index], model: model, inputTokens: inputTokens, pacing: pacing, slowdown: slowdown)
            case 0: .event(.finish(.length))
            default: .event(.usage(scenario.usage(inputTokens: inputTokens, sent: cut.pieces)))
            }
        })
    }

    private func usage(inputTokens: Int, sent: Int) -> ChatUsage {
        // As OpenAI counts them: the reasoning tokens are part of the output.
        let thoughts = min(reasoningPieces, sent)
        return ChatUsage(inputTokens: inputTokens, outputTokens: sent, reasoningTokens: thoughts > 0 ? thoughts : nil)
    }

    private func step(_ planned: Planned, model: String, inputTokens: Int, pacing: (firstTokenMs: Int, tokenDelayMs: Int),
                      slowdown: Int) -> ScriptedStream.Step {
        switch planned {
        case .model: return .event(.model(model))
        case .piece(let index): return .event(pieces[index], afterMs: pause(before: index, pacing) * slowdown)
        case .wire(.malformedFrame, _): return .event(.wireFault(.malformedFrame))
        case .wire(let fault, let index): return .event(.wireFault(fault), afterMs: pause(before: index, pacing) * slowdown)
        case .fail(let error, let index): return .fail(error, afterMs: refusalStatus == nil ? pause(before: index, pacing) * slowdown : 0)
        case .hang: return .hang
        case .finish: return .event(.finish(.stop))
        case .usage: return .event(.usage(usage(inputTokens: inputTokens, sent: pieces.count)))
        }
    }

    /// The pause before piece `index` (or what stands in its place: a fault, the end):
    /// the time to first token, the pace (none inside a burst), and any stall.
    func pause(before index: Int, _ pacing: (firstTokenMs: Int, tokenDelayMs: Int)) -> Int {
        var pause: Int
        if index == 0 {
            pause = timing.firstTokenMs ?? pacing.firstTokenMs
        } else if timing.bursts.contains(where: { index > $0.at && index < $0.at + $0.length }) {
            pause = 0
        } else if let rate = timing.tokensPerSecond {
            // Each piece is due at index / rate seconds, so rounding never accumulates.
            func due(_ piece: Int) -> Int { rate > 0 ? Int((Double(piece) * 1000 / rate).rounded()) : 0 }
            pause = due(index) - due(index - 1)
        } else {
            pause = pacing.tokenDelayMs
        }
        for stall in timing.stalls where stall.at == index { pause += stall.length }
        return pause
    }
}

/// A scenario's compiled regular expression.
public struct MockPattern: @unchecked Sendable {
    // NSRegularExpression is immutable, and documented as safe to share between threads.
    private let expression: NSRegularExpression
    public var source: String { expression.pattern }

    public init(_ source: String) throws {
        expression = try NSRegularExpression(pattern: source)
    }

    /// Where the pattern first matches `text`: its groups, and the text after the match
    /// (whitespace dropped) when the match starts the text, else all of `text`.
    func firstMatch(_ text: String) -> (rest: String, captures: [String])? {
        guard let found = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let whole = Range(found.range, in: text) else { return nil }
        let captures = (1..<max(found.numberOfRanges, 1)).map { group in
            Range(found.range(at: group), in: text).map { String(text[$0]) } ?? ""
        }
        let rest = whole.lowerBound == text.startIndex ? String(text[whole.upperBound...].drop(while: \.isWhitespace)) : text
        return (rest, captures)
    }
}
