import Foundation

/// The placeholders of a scenario's `--- reasoning` and `--- reply` text (README "Mock
/// scenarios"): `{{message}}`, `{{rest}}`, `{{turn}}`, `{{previous}}`, `{{history}}`,
/// `{{scenarios}}` and a regex trigger's groups `{{1}}`…`{{9}}`; `{{NAME:json}}` is the
/// value as a JSON string literal. Anything else between braces (a template language's
/// own `{{ user.name }}` in a code sample) stays as written.
enum MockTemplate {
    /// What the placeholders stand for in one request.
    struct Values: Sendable {
        /// The message (after `/slow`), as matched.
        var message: String
        /// The message after what the trigger matched at its start (all of it for a
        /// trigger that matched elsewhere or matched nothing).
        var rest: String
        /// A regex trigger's groups, from group 1; "" for a group that took no part.
        var captures: [String] = []
        /// Which user message of the conversation this is, from 1.
        var turn: Int = 1
        /// The user message before this one.
        var previous: String?
        /// The names of the `--mocks` scenarios.
        var scenarios: [String] = []
    }

    /// Whether `text` may hold a placeholder, so must be expanded per request rather
    /// than cut into pieces once.
    static func isTemplate(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "{"), previous == byte { return true }
            previous = byte
        }
        return false
    }

    static func expand(_ text: String, _ values: Values) -> String {
        // Scanned as UTF-8 bytes: a reply of a few KB is expanded per request, and
        // Foundation's `range(of:)` converts the whole text again on every call.
        let bytes = Array(text.utf8)
        let brace = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 256)
        var index = 0
        while index < bytes.count {
            if bytes[index] == brace, index + 1 < bytes.count, bytes[index + 1] == brace,
               let end = (index + 2..<bytes.count - 1).first(where: { bytes[$0] == close && bytes[$0 + 1] == close }) {
                let inside = String(decoding: bytes[index + 2..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                let asJSON = inside.hasSuffix(":json")
                if let value = value(of: asJSON ? String(inside.dropLast(5)) : inside, values) {
                    out += (asJSON ? MockText.jsonString(value) : value).utf8
                    index = end + 2
                    continue
                }
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func value(of name: String, _ values: Values) -> String? {
        switch name {
        case "message": return MockText.quoted(values.message)
        case "rest": return MockText.quoted(values.rest)
        case "turn": return String(values.turn)
        case "previous": return values.previous.map { MockText.quoted($0) } ?? ""
        case "history":
            guard values.turn > 1 else { return "This is message 1 of our conversation." }
            return "This is message \(values.turn) of our conversation. Earlier you said \u{201C}\(MockText.quoted(values.previous ?? ""))\u{201D}."
        case "scenarios":
            return values.scenarios.isEmpty ? "none" : values.scenarios.map { "**\($0)**" }.joined(separator: ", ")
        default:
            guard name.count == 1, let group = Int(name), group >= 1 else { return nil }
            return group <= values.captures.count ? values.captures[group - 1] : nil
        }
    }
}
