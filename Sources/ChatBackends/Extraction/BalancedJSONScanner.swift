/// Finds the first balanced `{…}` or `[…]` in free text that is valid JSON.
///
/// Each `{` or `[` is a candidate start; from there brackets are matched with a stack
/// (so `{ ]` fails early) while skipping string contents, escapes included, so braces
/// inside strings do not count. A candidate that balances but does not parse (a
/// JavaScript object literal, say) is skipped and the next start is tried, which finds
/// valid JSON nested inside invalid text.
enum BalancedJSONScanner {
    /// Scanning is quadratic in the worst case (many unclosed brackets), so the total
    /// number of bytes examined is capped; past it the text is deemed to hold no JSON.
    static let defaultBudget = 20_000_000

    /// The compacted bytes of the first valid candidate, or `nil`.
    static func firstValue(in bytes: [UInt8], budget: Int = defaultBudget) -> [UInt8]? {
        var remaining = budget
        var start = 0
        while start < bytes.count {
            let byte = bytes[start]
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                guard remaining > 0 else { return nil }
                if let end = matchingEnd(in: bytes, from: start, budget: &remaining) {
                    let candidate = bytes[start..<end]
                    if JSONBytes.parses(candidate) { return JSONBytes.compacted(candidate) }
                }
            }
            start += 1
        }
        return nil
    }

    /// The index just past the bracket closing the one at `start`, or `nil` when the
    /// brackets mismatch or never close.
    static func matchingEnd(in bytes: [UInt8], from start: Int, budget: inout Int) -> Int? {
        var expected: [UInt8] = []
        var inString = false
        var escaped = false
        var index = start
        while index < bytes.count {
            budget -= 1
            if budget < 0 { return nil }
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"): expected.append(UInt8(ascii: "}"))
                case UInt8(ascii: "["): expected.append(UInt8(ascii: "]"))
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard expected.last == byte else { return nil }
                    expected.removeLast()
                    if expected.isEmpty { return index + 1 }
                default: break
                }
            }
            index += 1
        }
        return nil
    }
}
