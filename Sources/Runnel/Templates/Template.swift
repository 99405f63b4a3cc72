/// A parsed HTML template: literal text with `{{name}}` placeholders (README "Modes").
///
/// Names are `[A-Za-z_][A-Za-z0-9_.]*`, with optional whitespace inside the braces
/// (`{{ title }}`). There is nothing else: no loops, no conditions, no escape for a literal
/// `{{`. Every placeholder must get a value: an unknown name is an error naming file and
/// line, never a silent blank.
///
/// ```swift
/// let page = try Template.parse(source, file: "Templates/index.html")
/// let html = try page.render(["title": .text("Runnel"), "config": .json(#"{"a":1}"#)])
/// ```
struct Template: Sendable {
    private enum Part: Sendable {
        case literal(String)
        case placeholder(name: String, at: Location)
    }

    /// Where a placeholder starts, for errors.
    private struct Location: Sendable {
        var line: Int
        var column: Int
        var text: String
    }

    /// The file the template came from, for error messages.
    let file: String
    private let parts: [Part]

    /// The placeholder names, in order of first use.
    var names: [String] {
        var seen: Set<String> = []
        return parts.compactMap { part in
            guard case .placeholder(let name, _) = part, seen.insert(name).inserted else { return nil }
            return name
        }
    }

    /// Parses `source`; `file` names it in errors.
    /// - Throws: `TemplateError` for an unclosed `{{` or an empty or invalid name.
    static func parse(_ source: String, file: String) throws(TemplateError) -> Template {
        let bytes = Array(source.utf8)
        var parts: [Part] = []
        var line = 1
        var lineStart = 0
        var literalStart = 0
        var index = 0
        while index < bytes.count {
            guard bytes[index] == .openBrace, index + 1 < bytes.count, bytes[index + 1] == .openBrace else {
                if bytes[index] == .newline { line += 1; lineStart = index + 1 }
                index += 1
                continue
            }
            let lineEnd = bytes[index...].firstIndex(of: .newline) ?? bytes.count
            let at = Location(line: line, column: String(decoding: bytes[lineStart..<index], as: UTF8.self).count + 1,
                              text: String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self))
            // Closed by the first '}}', unless another '{{' comes first: then this one is the
            // mistake, and the error points at it rather than at the lines up to a later '}}'.
            guard let close = firstCloseBraces(in: bytes, from: index + 2) else {
                throw error(at, file, "'{{' is never closed by '}}'")
            }
            let inner = bytes[(index + 2)..<close]
            let name = try validName(inner, file: file, at: at)
            if literalStart < index {
                parts.append(.literal(String(decoding: bytes[literalStart..<index], as: UTF8.self)))
            }
            parts.append(.placeholder(name: name, at: at))
            for offset in inner.indices where bytes[offset] == .newline { line += 1; lineStart = offset + 1 }
            index = close + 2
            literalStart = index
        }
        if literalStart < bytes.count {
            parts.append(.literal(String(decoding: bytes[literalStart...], as: UTF8.self)))
        }
        return Template(file: file, parts: parts)
    }

    /// The page with each placeholder replaced by its value, escaped as the value's case says.
    /// - Throws: `TemplateError` naming the first placeholder without a value.
    func render(_ values: [String: TemplateValue]) throws(TemplateError) -> String {
        var output = ""
        for part in parts {
            switch part {
            case .literal(let text):
                output += text
            case .placeholder(let name, let at):
                guard let value = values[name] else {
                    throw Self.error(at, file, "unknown name '\(name)' in '{{\(name)}}'")
                }
                output += value.rendered
            }
        }
        return output
    }

    private static func error(_ at: Location, _ file: String, _ message: String) -> TemplateError {
        TemplateError(file: file, line: at.line, column: at.column, sourceLine: at.text, message: message)
    }

    private static func firstCloseBraces(in bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == .closeBrace, bytes[index + 1] == .closeBrace { return index }
            if bytes[index] == .openBrace, bytes[index + 1] == .openBrace { return nil }
            index += 1
        }
        return nil
    }

    private static func validName(_ inner: ArraySlice<UInt8>, file: String, at: Location) throws(TemplateError) -> String {
        let isSpace: (UInt8) -> Bool = { $0 == .space || $0 == .tab || $0 == .newline || $0 == .carriageReturn }
        let trimmed = inner.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        guard let first = trimmed.first else {
            throw error(at, file, "empty name in '{{}}'")
        }
        let isLetter = { (byte: UInt8) in (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_") }
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let name = String(decoding: trimmed, as: UTF8.self)
        guard isLetter(first), trimmed.allSatisfy({ isLetter($0) || isDigit($0) || $0 == UInt8(ascii: ".") }) else {
            let quoted = name.count > 40 ? name.prefix(40) + "…" : name
            throw error(at, file, "invalid name '\(quoted)' in '{{…}}': use letters, digits, '_' and '.', not starting with a digit")
        }
        return name
    }
}

extension UInt8 {
    fileprivate static let openBrace = UInt8(ascii: "{")
    fileprivate static let closeBrace = UInt8(ascii: "}")
    fileprivate static let newline = UInt8(ascii: "\n")
    fileprivate static let carriageReturn = UInt8(ascii: "\r")
    fileprivate static let space = UInt8(ascii: " ")
    fileprivate static let tab = UInt8(ascii: "\t")
}
