/// Which cassette answers a request (README "Record and replay"), in three steps:
/// 1. **exact**: the same conversation (every turn's role and text) and system prompt;
/// 2. **last message**: the same newest user message (case and spacing ignored);
/// 3. **closest**: the most words in common with the newest user message (Jaccard index
///    of their word sets), if at least ``minimumOverlap``.
/// Within a step the newest recording wins. No match: the closest few are named.
public struct CassetteMatcher: Sendable {
    /// The least word overlap (0…1) step 3 accepts.
    public static let minimumOverlap = 0.5
    /// How many near misses an unmatched request's error names.
    public static let nearMissesNamed = 3

    /// Which step chose a cassette.
    public enum Rule: String, Sendable {
        case exact, lastMessage = "last-message", closest
    }

    /// The cassettes to choose from, oldest first.
    public let cassettes: [CassetteShelf.Stored]

    /// A matcher over `cassettes`, oldest first (as `CassetteShelf.load` gives them).
    public init(_ cassettes: [CassetteShelf.Stored]) {
        self.cassettes = cassettes
    }

    /// The cassette for `request` and the rule that chose it, or the error that names the
    /// closest ones.
    public func match(_ request: ChatRequest) -> Result<(CassetteShelf.Stored, Rule), ChatBackendError> {
        let newestFirst = cassettes.reversed()
        let messages = request.messages.map { ChatMessage(role: $0.role, content: SecretRedactor.redact($0.content, secrets: [])) }
        if let exact = newestFirst.first(where: { $0.cassette.request.messages == messages && $0.cassette.request.system == request.system }) {
            return .success((exact, .exact))
        }
        let last = Self.normal(SecretRedactor.redact(request.lastUserText, secrets: []))
        if let same = newestFirst.first(where: { Self.normal($0.cassette.lastUserMessage) == last }) {
            return .success((same, .lastMessage))
        }
        let words = Self.words(last)
        let scored = newestFirst.map { ($0, Self.overlap(words, Self.words($0.cassette.lastUserMessage))) }
            .sorted { $0.1 > $1.1 }
        if let best = scored.first, best.1 >= Self.minimumOverlap {
            return .success((best.0, .closest))
        }
        let near = scored.prefix(Self.nearMissesNamed).map { "\($0.0.name) (\(Int(($0.1 * 100).rounded()))% of words shared)" }
        let named = near.isEmpty ? "the folder holds no cassettes" : "closest: " + near.joined(separator: ", ")
        return .failure(ChatBackendError(.replayUnmatched,
            "replay: no cassette matches \"\(String(last.prefix(80)))\" (same conversation, same last message, or ≥ \(Int(Self.minimumOverlap * 100))% of its words); \(named)"))
    }

    static func normal(_ text: String) -> String {
        text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func words(_ text: String) -> Set<Substring> {
        Set(text.lowercased().split { !($0.isLetter || $0.isNumber) })
    }

    static func overlap(_ a: Set<Substring>, _ b: Set<Substring>) -> Double {
        let union = a.union(b).count
        return union == 0 ? 0 : Double(a.intersection(b).count) / Double(union)
    }
}
