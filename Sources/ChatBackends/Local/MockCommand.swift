/// The fault-injection and shaping commands the mock backend understands at the start
/// of a message, so UIs and servers can be tested against failures on demand.
///
/// `/slow` is a modifier and may precede another command (`/slow /long 50`); the rest
/// pick what the reply is. Anything else, including unknown `/words`, is a normal message.
struct MockCommand: Equatable {
    enum Kind: Equatable {
        /// A scripted reply about `text`.
        case reply
        /// Fail before any chunk with `upstream_unavailable`.
        case error
        /// Send a few chunks, then fail with `upstream_unavailable`.
        case errorMidStream
        /// Exactly this many words of prose.
        case long(words: Int)
        /// A reply that is mostly one JSON block.
        case json
        /// Never send the first token; wait until cancelled.
        case hang
        /// A reply quoting HTML and script text, for testing that UIs escape it.
        case html
        /// Reason first (`.reasoning` events), then a scripted reply about `text`.
        case think
        /// The list of commands.
        case help
    }

    /// Used by `/long` without a count.
    static let defaultLongWords = 2000
    /// `/long` is capped so a typo cannot produce a reply of unbounded size.
    static let maxLongWords = 200_000
    /// How much `/slow` stretches the pacing.
    static let slowFactor = 10

    var kind: Kind
    /// Whether `/slow` was given.
    var slow: Bool
    /// The message with the commands removed (what the reply talks about).
    var text: String

    /// Parses the leading commands of `message`.
    init(parsing message: String) {
        var rest = Substring(message).drop(while: \.isWhitespace)
        var slow = false
        while true {
            let word = rest.prefix(while: { !$0.isWhitespace })
            var after = rest.dropFirst(word.count).drop(while: \.isWhitespace)
            let kind: Kind
            switch word.lowercased() {
            case "/slow":
                slow = true
                rest = after
                continue
            case "/error": kind = .error
            case "/error-mid": kind = .errorMidStream
            case "/json": kind = .json
            case "/hang": kind = .hang
            case "/html": kind = .html
            case "/help": kind = .help
            case "/think": kind = .think
            case "/long":
                let count = after.prefix(while: { !$0.isWhitespace })
                if let words = Int(count), words >= 0 {
                    kind = .long(words: min(words, Self.maxLongWords))
                    after = after.dropFirst(count.count).drop(while: \.isWhitespace)
                } else {
                    kind = .long(words: Self.defaultLongWords)
                }
            default:
                self.init(kind: .reply, slow: slow, text: String(rest))
                return
            }
            self.init(kind: kind, slow: slow, text: String(after))
            return
        }
    }

    init(kind: Kind, slow: Bool, text: String) {
        self.kind = kind
        self.slow = slow
        self.text = text
    }
}
