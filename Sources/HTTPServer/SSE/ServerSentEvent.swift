/// Encodes Server-Sent Events (WHATWG HTML §9.2): each line of the data becomes its own
/// `data:` field, so a payload with newlines survives, and a blank line ends the event.
///
/// ```swift
/// try await writer.write(ServerSentEvent.data(#"{"chunk":"Hi"}"#))  // data: {"chunk":"Hi"}\n\n
/// try await writer.write(ServerSentEvent.comment("ping"))           // : ping\n\n
/// ```
public enum ServerSentEvent {
    /// One event carrying `data`, optionally named with `event:`.
    public static func data(_ data: String, event: String? = nil) -> [UInt8] {
        var text = ""
        if let event { text += "event: \(event)\n" }
        var lineStart = data.startIndex
        var index = data.startIndex
        while index < data.endIndex {
            let character = data[index]
            if character == "\n" || character == "\r" || character == "\r\n" {
                text += "data: \(data[lineStart..<index])\n"
                lineStart = data.index(after: index)
            }
            index = data.index(after: index)
        }
        text += "data: \(data[lineStart...])\n\n"
        return Array(text.utf8)
    }

    /// A comment line: ignored by clients, but it keeps proxies from closing an idle stream.
    public static func comment(_ text: String) -> [UInt8] {
        Array(": \(text.split(separator: "\n").joined(separator: " "))\n\n".utf8)
    }
}
