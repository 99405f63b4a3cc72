/// Removes API keys from text that may reach users or logs.
///
/// Upstream error messages sometimes quote the key they rejected (OpenAI's "Incorrect
/// API key provided: sk-proj-…abcd"), so every provider message passes through here
/// before it becomes a `ChatBackendError`. Two nets: the exact configured keys, and
/// anything shaped like a provider key even when it is not ours.
///
/// Both nets ignore ASCII case: a proxy or server that lowercases what it echoes
/// (`bearer zq7secret-…` in a plain-text 500) must not carry the key past them. Keys are
/// ASCII, so folding ASCII letters covers every case variant of one.
enum SecretRedactor {
    static let replacement = "[redacted]"

    /// Prefixes of the key formats of the supported providers.
    static let keyPrefixes = ["sk-", "AIza", "xai-", "gsk_", "pplx-"]
    private static let lowercasedKeyPrefixes = keyPrefixes.map { $0.lowercased() }

    /// Configured keys shorter than this are not searched for: Ollama accepts any key
    /// (e.g. "x"), and replacing it would shred ordinary words.
    static let minimumSecretLength = 8

    /// `text` with `secrets` (in any case) and key-shaped words replaced by "[redacted]".
    static func redact(_ text: String, secrets: [String]) -> String {
        var bytes = Array(text.utf8)
        for secret in secrets where secret.count >= minimumSecretLength {
            bytes = replacingIgnoringASCIICase(Array(secret.utf8), in: bytes)
        }
        return redactKeyShapedWords(String(decoding: bytes, as: UTF8.self))
    }

    /// `bytes` with every occurrence of `target` replaced, ASCII letters compared without
    /// case. Matching UTF-8 bytes of a whole string can only match on character
    /// boundaries, so the result stays valid UTF-8.
    private static func replacingIgnoringASCIICase(_ target: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard !target.isEmpty, bytes.count >= target.count else { return bytes }
        let folded = target.map(foldASCIICase)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if index + folded.count <= bytes.count,
               folded.indices.allSatisfy({ foldASCIICase(bytes[index + $0]) == folded[$0] }) {
                result += replacement.utf8
                index += folded.count
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    private static func foldASCIICase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// A word is key-shaped when it starts with a known prefix (in any case) and is long
    /// enough to be a key rather than prose ("sk-learn" stays).
    private static func redactKeyShapedWords(_ text: String) -> String {
        var output = ""
        var word = ""
        func flush() {
            let looksLikeKey = word.count >= 16 && lowercasedKeyPrefixes.contains(where: { word.lowercased().hasPrefix($0) })
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
