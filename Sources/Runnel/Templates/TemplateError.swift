/// A template that cannot be parsed or rendered, with where: the hot-reload overlay shows it
/// as it is, so the message names the file, line and column like a compiler would, and
/// quotes the line with a caret under the column.
struct TemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The template's file, as given to `Template.parse(_:file:)`.
    let file: String
    /// The 1-based line of the offending `{{`.
    let line: Int
    /// The 1-based column (in characters) of the offending `{{`.
    let column: Int
    /// The text of that line ("" when there is none, as for a missing file).
    let sourceLine: String
    /// What is wrong, without the location.
    let message: String

    /// The longest part of a line the excerpt quotes: a minified page is one huge line.
    static let excerptWidth = 100

    init(file: String, line: Int, column: Int = 1, sourceLine: String = "", message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.sourceLine = sourceLine
        self.message = message
    }

    /// `file:line:column: message`, then the excerpt.
    ///
    ///     Templates/index.html:12:4: '{{' is never closed by '}}'
    ///        12 | <p>{{nope</p>
    ///           |    ^
    var description: String {
        let head = "\(file):\(line):\(column): \(message)"
        return excerpt.isEmpty ? head : head + "\n" + excerpt
    }

    /// The line (or the part of it around the column) and a caret under the column.
    var excerpt: String {
        guard !sourceLine.isEmpty else { return "" }
        let characters = Array(sourceLine)
        let start = max(0, min(column - 1 - Self.excerptWidth / 2, characters.count - Self.excerptWidth))
        let end = min(characters.count, start + Self.excerptWidth)
        let shown = characters[start..<end]
        let before = shown.prefix(max(0, column - 1 - start)).map { $0 == "\t" ? "\t" : " " }.joined()
        let gutter = String(line)
        let pad = String(repeating: " ", count: gutter.count)
        return "  \(gutter) | \(start > 0 ? "…" : "")\(String(shown))\(end < characters.count ? "…" : "")\n"
            + "  \(pad) | \(start > 0 ? " " : "")\(before)^"
    }
}
