/// Cuts a reply into token-sized pieces, the way a model's stream arrives.
///
/// Real tokenizers emit roughly four characters per token: a short word with its
/// leading space, part of a long word, or one punctuation mark. Mimicking that makes the
/// mock exercise the same rendering paths (markdown arriving half-formed, a code fence
/// split across chunks) as a real model. Joining the pieces gives back the text exactly.
enum MockTokenizer {
    /// Longer words are cut into pieces of at most this many characters.
    static let maxWordPiece = 5

    static func pieces(of text: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var currentWordLength = 0  // characters of word (not whitespace) in `current`
        var symbolRun: Character?  // the symbol `current` is a run of, if it is one
        func flush() {
            if !current.isEmpty { pieces.append(current) }
            current = ""
            currentWordLength = 0
            symbolRun = nil
        }
        for character in text {
            if character.isWhitespace {
                // Whitespace opens the next token, so it rides in front of a word.
                if currentWordLength > 0 { flush() }
                current.append(character)
            } else if character.isLetter || character.isNumber {
                if currentWordLength >= maxWordPiece || symbolRun != nil { flush() }
                current.append(character)
                currentWordLength += 1
            } else {
                // Punctuation is a token of its own, except that runs of one mark
                // (```, **, ##) stay together as a model's vocabulary has them.
                if currentWordLength > 0 && symbolRun != character { flush() }
                current.append(character)
                currentWordLength += 1
                symbolRun = character
            }
        }
        flush()
        return pieces
    }
}
