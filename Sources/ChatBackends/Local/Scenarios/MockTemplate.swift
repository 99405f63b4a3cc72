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
    static func isTemplate(_ text: String) -> Bool { text.contains("{{") }

    static func expand(_ text: String, _ values: Values) -> String {
        guard isTemplate(text) else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += rest[..<open.lowerBound]
            let inside = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let asJSON = inside.hasSuffix(":json")
            if let value = value(of: asJSON ? String(inside.dropLast(5)) : inside, values) {
                out += asJSON ? MockText.jsonString(value) : value
            } else {
                out += rest[open.lowerBound..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
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
