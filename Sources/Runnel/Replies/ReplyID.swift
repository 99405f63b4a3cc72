/// Reply ids: 128 random bits from the system's secure generator, as 32 lowercase hex
/// digits. Whoever holds one can read and stop the reply, so it must not be guessable.
///
/// A server started with `--instance NAME` (README "Several instances") puts its name
/// and a dot before the random part, `a.3f…`: a proxy in front of several servers reads
/// which one holds the reply from the id alone. The name adds no secret and takes none
/// away; the random part is the same.
enum ReplyID {
    /// Hex digits of the random part.
    static let length = 32
    /// Longest instance name (`--instance`).
    static let maxInstanceLength = 32
    /// Between the instance name and the random part: not one of the name's characters,
    /// safe in a URL path and plain in an nginx regex once escaped (`\.`).
    static let separator = UInt8(ascii: ".")

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()  // getrandom(2): cryptographically secure
        let words = [generator.next() as UInt64, generator.next() as UInt64]
        return words.map(hex).joined()
    }

    /// A new id for a reply of the server named `instance` (nil: no `--instance`).
    static func make(instance: String?) -> String {
        guard let instance else { return make() }
        return instance + String(UnicodeScalar(separator)) + make()
    }

    /// `word` as 16 lowercase hex digits.
    static func hex(_ word: UInt64) -> String {
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// 1–32 of `[a-z0-9-]`, the rule of `--instance`.
    static func isValidInstance(_ name: some StringProtocol) -> Bool {
        (1...maxInstanceLength).contains(name.utf8.count)
            && name.utf8.allSatisfy { isDigit($0) || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "-") }
    }

    /// Either form: the random part alone, or an instance name, a dot and the random part.
    static func isValid(_ id: some StringProtocol) -> Bool {
        guard id.utf8.count <= maxInstanceLength + 1 + length else { return false }
        let bytes = Array(id.utf8)
        guard bytes.count >= length,
              bytes.suffix(length).allSatisfy({ isDigit($0) || (0x61...0x66).contains($0) }) else { return false }
        guard bytes.count > length else { return true }
        let named = bytes.dropLast(length)
        return named.last == separator && isValidInstance(String(decoding: named.dropLast(), as: UTF8.self))
    }

    /// The instance named in a valid `id`; nil for an id without one.
    static func instance(of id: some StringProtocol) -> String? {
        let bytes = Array(id.utf8)
        guard bytes.count > length + 1 else { return nil }
        return String(decoding: bytes.dropLast(length + 1), as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
