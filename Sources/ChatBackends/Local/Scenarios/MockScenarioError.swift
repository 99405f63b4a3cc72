/// What is wrong with a scenario file, and where: `mocks/table.txt:12: …` (the form
/// compilers use, so editors can jump to it).
public struct MockScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as the user named it (the `--mocks` folder, then the file name).
    public var file: String
    /// From 1; nil when the problem is the whole file (unreadable, too large).
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}
