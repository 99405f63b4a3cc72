/// Streams the newest user message back, one word per chunk.
///
/// For tests and benchmarks: the reply is exactly the input (whitespace and multi-byte
/// characters intact), produced instantly or paced by `delayMs` so load tests can hold
/// many streams open cheaply. It ignores the generation options (`temperature`,
/// `maxTokens`): the reply is the input, whatever they say.
public struct EchoBackend: ChatBackend {
    /// Always "echo".
    public let name = "echo"
    /// Always "echo".
    public let model = "echo"
    /// Always "local".
    public let kind = "local"
    /// Pause between chunks when the request does not set `delayMs`.
    public let defaultDelayMs: Int

    /// The largest pause a request may ask for, so a typo cannot hold a stream for days.
    public static let maxDelayMs = 60_000

    /// Creates an echo backend pausing `defaultDelayMs` between chunks (clamped to
    /// 0...60000).
    public init(defaultDelayMs: Int = 0) {
        self.defaultDelayMs = Self.clamp(defaultDelayMs)
    }

    /// Streams the request's newest user message back word by word.
    public func stream(_ request: ChatRequest) -> ChatEvents {
        let delayMs = Self.clamp(request.delayMs ?? defaultDelayMs)
        let words = Self.words(of: request.lastUserText)
        // Steps made as they play: only the words are kept for the stream's life.
        return ScriptedStream.play(count: words.count + 1) { index in
            index < words.count ? .event(.delta(words[index]), afterMs: index > 0 ? delayMs : 0) : .event(.finish(.stop))
        }
    }

    static func words(of text: String) -> [String] {
        var chunks: [String] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var index = scalars.startIndex
        var seenWord = false
        var inTrailingSpace = false
        while index < scalars.endIndex {
            let isSpace = Self.isWhitespace(scalars[index])
            if !isSpace && inTrailingSpace {
                chunks.append(String(scalars[start..<index]))
                start = index
                inTrailingSpace = false
            }
            if isSpace && seenWord { inTrailingSpace = true }
            if !isSpace { seenWord = true }
            index = scalars.index(after: index)
        }
        if start < scalars.endIndex { chunks.append(String(scalars[start...])) }
        return chunks
    }

    /// ASCII answered without a Unicode property lookup (the common case, and this runs
    /// per character of every echoed message).
    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar == "\u{0B}" || scalar == "\u{0C}"
        }
        return scalar.properties.isWhitespace
    }

    private static func clamp(_ ms: Int) -> Int { min(max(ms, 0), maxDelayMs) }
}
