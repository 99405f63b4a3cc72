/// A template that cannot be parsed or rendered, with where: the hot-reload overlay shows it
/// as it is, so the message names the file and line like a compiler would.
struct TemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The template's file, as given to `Template.parse(_:file:)`.
    let file: String
    /// The 1-based line of the offending `{{`.
    let line: Int
    /// What is wrong, without the location.
    let message: String

    /// `file:line: message`.
    var description: String { "\(file):\(line): \(message)" }
}
