import Foundation

/// Byte-level helpers shared by the JSON extraction steps.
enum JSONBytes {
    /// JSON's insignificant whitespace (RFC 8259 §2).
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Whether `bytes` is one complete JSON value (Foundation's strict parser decides).
    static func parses<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return true
        } catch {
            return false  // not JSON is an expected answer here, not a failure
        }
    }

    /// `bytes` (valid JSON) without whitespace outside strings.
    ///
    /// Done on the text rather than by re-serialising the parsed value, so key order and
    /// number spelling (`1.0`, `1e3`, big integers) survive exactly as the model wrote them.
    static func compacted<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                out.append(byte)
            } else if !isWhitespace(byte) {
                if byte == UInt8(ascii: "\"") { inString = true }
                out.append(byte)
            }
        }
        return out
    }
}
