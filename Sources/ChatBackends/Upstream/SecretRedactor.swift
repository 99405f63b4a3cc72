/// Removes API keys from text that may reach users or logs.
///
/// Upstream error messages sometimes quote the key they rejected (OpenAI's "Incorrect
/// API key provided: sk-proj-…abcd"), so every provider message passes through here
/// before it becomes a `ChatBackendError`. Two nets: the exact configured keys, and
/// anything shaped like a provider key even when it is not ours.
enum SecretRedactor {
    static let replacement = "[redacted]"

    /// Prefixes of the key formats of the supported providers.
    static let keyPrefixes = ["sk-", "AIza", "xai-", "gsk_", "pplx-"]

    /// `text` with `secrets` and key-shaped words replaced by "[redacted]".
    static func redact(_ text: String, secrets: [String]) -> String {
        var result = text
        // Very short "keys" (Ollama accepts any, e.g. "x") would shred ordinary words.
        for secret in secrets where secret.count >= 8 {
            result = result.replacingOccurrences(of: secret, with: replacement)
        }
        return redactKeyShapedWords(result)
    }

    /// A word is key-shaped when it starts with a known prefix and is long enough to be
    /// a key rather than prose ("sk-learn" stays).
    private static func redactKeyShapedWords(_ text: String) -> String {
        var output = ""
        var word = ""
        func flush() {
            let looksLikeKey = word.count >= 16 && keyPrefixes.contains(where: { word.hasPrefix($0) })
            output += looksLikeKey ? replacement : word
            word = ""
        }
        for character in text {
            if character.isLetter || character.isNumber || character == "-" || character == "_" || character == "*" || character == "." {
                word.append(character)
            } else {
                flush()
                output.append(character)
            }
        }
        flush()
        return output
    }
}

extension String {
    /// Replaces every occurrence of `target` (non-empty) with `replacement`.
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
