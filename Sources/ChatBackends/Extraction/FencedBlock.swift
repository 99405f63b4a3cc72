/// A fenced code block of a markdown text: its language tag and its content.
///
/// Line-based like CommonMark, but lenient where models are sloppy: a fence may be
/// indented by any amount (models indent fences inside list items), and a block left
/// open at the end of the text (a reply cut short) runs to the end.
struct FencedBlock: Equatable {
    /// The first word of the info string, lowercased ("json", "swift"), or "".
    var language: String
    /// The lines between the fences, joined with "\n".
    var content: String

    /// The fenced blocks of `text`, in order.
    static func all(in text: String) -> [FencedBlock] {
        var blocks: [FencedBlock] = []
        var open: (marker: Character, length: Int, language: String)?
        var lines: [Substring] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
            if let fence = open {
                if isClosing(trimmed, marker: fence.marker, length: fence.length) {
                    blocks.append(FencedBlock(language: fence.language, content: lines.joined(separator: "\n")))
                    open = nil
                    lines = []
                } else {
                    lines.append(line)
                }
            } else if let opening = opening(trimmed) {
                open = opening
            }
        }
        if let fence = open {
            blocks.append(FencedBlock(language: fence.language, content: lines.joined(separator: "\n")))
        }
        return blocks
    }

    /// A fence opener is three or more backticks or tildes, then an optional info
    /// string (which for backtick fences may not itself contain a backtick).
    private static func opening(_ line: Substring) -> (marker: Character, length: Int, language: String)? {
        guard let marker = line.first, marker == "`" || marker == "~" else { return nil }
        let length = line.prefix(while: { $0 == marker }).count
        guard length >= 3 else { return nil }
        let info = line.dropFirst(length)
        if marker == "`" && info.contains("`") { return nil }
        let language = info.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "{" }).first ?? ""
        return (marker, length, language.lowercased())
    }

    private static func isClosing(_ line: Substring, marker: Character, length: Int) -> Bool {
        let run = line.prefix(while: { $0 == marker }).count
        guard run >= length else { return false }
        return line.dropFirst(run).allSatisfy { $0 == " " || $0 == "\t" }
    }
}
