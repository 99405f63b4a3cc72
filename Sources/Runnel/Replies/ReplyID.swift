/// Reply ids: 128 random bits from the system's secure generator, as 32 lowercase hex
/// digits. Whoever holds one can read and stop the reply, so it must not be guessable.
enum ReplyID {
    static let length = 32

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()  // getrandom(2): cryptographically secure
        let words = [generator.next() as UInt64, generator.next() as UInt64]
        return words.map(hex).joined()
    }

    /// `word` as 16 lowercase hex digits.
    static func hex(_ word: UInt64) -> String {
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func isValid(_ id: some StringProtocol) -> Bool {
        id.utf8.count == length && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
