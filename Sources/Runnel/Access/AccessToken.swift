/// The secret a public server asks for (README "Deploying"): given with `--access-token`
/// (`RUNNEL_ACCESS_TOKEN`), or 128 random bits made at start and printed in the banner's
/// login URL. Compared in constant time, so the time an answer takes says nothing of how
/// much of a guess was right.
public struct AccessToken: Sendable {
    public let value: String
    /// Whether it was made at start (the banner prints it) rather than given.
    public let isGenerated: Bool

    /// Shortest token `--access-token` takes: a short one is guessed.
    public static let minimumLength = 16

    public init(_ value: String) throws(RunnelError) {
        guard value.utf8.count >= Self.minimumLength else {
            throw RunnelError("--access-token must be at least \(Self.minimumLength) characters (one from runnel itself, made when none is given, has 128 random bits)")
        }
        guard value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "\"") }) else {
            throw RunnelError("--access-token takes printable ASCII without spaces, quotes, ';' or ',' (it travels in a cookie and a header)")
        }
        self.value = value
        isGenerated = false
    }

    private init(generated value: String) {
        self.value = value
        isGenerated = true
    }

    /// 128 bits from the system's secure generator, as 32 hex digits.
    public static func generate() -> AccessToken { AccessToken(generated: ReplyID.make()) }

    /// Whether `candidate` is the token, in time that depends only on the token's length.
    func matches(_ candidate: some StringProtocol) -> Bool {
        let expected = Array(value.utf8)
        let given = Array(candidate.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in expected.indices {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
