/// The two commands of the mock that are code rather than scenarios (README "Mock
/// scenarios"), read at the start of a message before any scenario is matched:
///
/// - `/slow` is a modifier: it stretches the pacing of whatever answers the rest of the
///   message (`/slow /long 50`, `/slow /json`, a user's scenario), which no single
///   scenario can express.
/// - `/long N` is a reply *generated* to a length the message names: a scenario's text is
///   fixed, and a placeholder that writes N words of prose would be a generator hidden in
///   the template language, not a value from the request.
///
/// Everything else, unknown `/words` included, is matched against the scenarios.
struct MockCommand: Equatable {
    enum Kind: Equatable {
        /// No command: the scenarios answer `text`.
        case scenario
        /// Exactly this many words of prose.
        case long(words: Int)
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
    /// The message with the commands removed (what the scenarios are matched against).
    var text: String

    /// Parses the leading commands of `message`.
    init(parsing message: String) {
        var rest = Substring(message).drop(while: \.isWhitespace)
        var slow = false
        while true {
            let word = rest.prefix(while: { !$0.isWhitespace })
            var after = rest.dropFirst(word.count).drop(while: \.isWhitespace)
            switch word.lowercased() {
            case "/slow":
                slow = true
                rest = after
            case "/long":
                let count = after.prefix(while: { !$0.isWhitespace })
                let kind: Kind
                if let words = Int(count), words >= 0 {
                    kind = .long(words: min(words, Self.maxLongWords))
                    after = after.dropFirst(count.count).drop(while: \.isWhitespace)
                } else {
                    kind = .long(words: Self.defaultLongWords)
                }
                self.init(kind: kind, slow: slow, text: String(after))
                return
            default:
                self.init(kind: .scenario, slow: slow, text: String(rest))
                return
            }
        }
    }

    init(kind: Kind, slow: Bool, text: String) {
        self.kind = kind
        self.slow = slow
        self.text = text
    }
}
