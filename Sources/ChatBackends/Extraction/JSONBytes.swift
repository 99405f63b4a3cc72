import Foundation

/// Byte-level helpers shared by the JSON extraction steps.
enum JSONBytes {
    /// JSON's insignificant whitespace (RFC 8259 §2).
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Appends `text` as a JSON string (RFC 8259 §7: quotes, backslashes and control
    /// characters escaped; everything else as its UTF-8, `/` included).
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `value` as a JSON number (Swift's shortest round-trip form: `0.7`, `1.0`, `1e-05`),
    /// or nil for infinities and NaN, which JSON cannot write.
    static func number(_ value: Double) -> String? {
        value.isFinite ? value.description : nil
    }

    /// Whether `bytes` is one complete JSON value (Foundation's strict parser decides,
    /// once raw control characters are ruled out: JSON allows none outside whitespace, and
    /// Foundation stops reading at a NUL, so `"\n\0…"` passed as an empty document —
    /// found by the fuzzer).
    static func parses<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        guard !bytes.contains(where: { $0 < 0x20 && !isWhitespace($0) }) else { return false }
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
