/// An event-stream parser written from the WHATWG HTML algorithm (§9.2.6), independent of
/// the server's encoder: bytes in any split, UTF-8 decoded per complete line, CR / LF /
/// CRLF line ends, comments, `data` lines joined with LF, dispatch on a blank line.
struct EventStreamParser {
    struct Event: Equatable {
        var type = "message"
        var data: String
        /// The last event id seen when this event was dispatched ("" if none).
        var id = ""
    }

    private var pending: [UInt8] = []
    private var data = ""
    private var type = ""
    private var lastEventID = ""
    private var sawCR = false
    private(set) var comments: [String] = []

    /// Feeds bytes; returns the events completed by them.
    mutating func feed(_ bytes: [UInt8]) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if sawCR {
                sawCR = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0D || byte == 0x0A {
                sawCR = byte == 0x0D
                if let event = processLine(String(decoding: pending, as: UTF8.self)) { events.append(event) }
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return events
    }

    private mutating func processLine(_ line: String) -> Event? {
        if line.isEmpty {
            defer { data = ""; type = "" }
            guard !data.isEmpty else { return nil }
            if data.hasSuffix("\n") { data.removeLast() }
            return Event(type: type.isEmpty ? "message" : type, data: data, id: lastEventID)
        }
        if line.hasPrefix(":") {
            comments.append(String(line.dropFirst()).trimmingPrefixSpace())
            return nil
        }
        var field = line
        var value = ""
        if let colon = line.firstIndex(of: ":") {
            field = String(line[..<colon])
            value = String(line[line.index(after: colon)...]).trimmingPrefixSpace()
        }
        switch field {
        case "data": data += value + "\n"
        case "event": type = value
        case "id" where !value.contains("\0"): lastEventID = value
        default: break  // retry and unknown fields
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingPrefixSpace() -> String { hasPrefix(" ") ? String(dropFirst()) : self }
}
