/// One server-sent event from an upstream: its `event:` type and joined `data:` lines.
struct SSEEvent: Equatable, Sendable {
    /// The `event:` field, or `nil` when absent (the spec's default type "message").
    var type: String?
    /// The `data:` lines joined with "\n".
    var data: String
    /// The `id:` field, if any.
    var id: String?

    init(type: String? = nil, data: String, id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }
}

/// Turns upstream bytes, split anywhere, into server-sent events (WHATWG HTML
/// §9.2.6 "Interpreting an event stream").
///
/// Network reads split the stream at arbitrary byte offsets: mid-line, between CR and
/// LF, inside a multi-byte UTF-8 character. So bytes are buffered until a line is
/// complete and only complete lines are decoded as UTF-8. Lines end with CRLF, LF or
/// CR; lines starting with ":" are comments (keep-alives); a blank line dispatches.
///
/// ```swift
/// var decoder = SSEDecoder()
/// for event in try decoder.feed(chunk) { handle(event) }
/// for event in try decoder.finish() { handle(event) }
/// ```
struct SSEDecoder {
    /// A line longer than this is treated as a broken upstream rather than buffered
    /// without bound.
    static let defaultMaxLineBytes = 8 << 20

    private let maxLineBytes: Int
    private var line: [UInt8] = []
    /// A CR ended the previous line; an LF right after it belongs to the same line end.
    private var afterCR = false
    private var atStreamStart = true

    /// The over-long line that broke the stream, thrown by every later call. When events
    /// before it were completed in the same `feed`, those are returned first and the
    /// failure is thrown by the next call, so where the network happened to split the
    /// stream does not decide which events get through.
    private var failure: ChatBackendError?

    private var type: String?
    private var dataLines: [String] = []
    private var id: String?

    init(maxLineBytes: Int = defaultMaxLineBytes) {
        self.maxLineBytes = maxLineBytes
    }

    /// The events completed by `bytes`.
    mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(ChatBackendError) -> [SSEEvent] {
        if let failure { throw failure }
        var events: [SSEEvent] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\n"):
                endLine(into: &events)
            case UInt8(ascii: "\r"):
                afterCR = true
                endLine(into: &events)
            default:
                guard line.count < maxLineBytes else {
                    let error = ChatBackendError(.upstreamProtocol, "event stream line longer than \(maxLineBytes) bytes")
                    failure = error
                    if events.isEmpty { throw error }
                    return events
                }
                line.append(byte)
            }
        }
        return events
    }

    /// The last event when the stream ends without the blank line that should end it.
    ///
    /// The spec discards such an event; we keep it because a proxy that trims the final
    /// newline would otherwise silently drop the end of a reply.
    /// Throws the failure a last `feed` could not (see `failure`).
    mutating func finish() throws(ChatBackendError) -> [SSEEvent] {
        if let failure { throw failure }
        var events: [SSEEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        dispatch(into: &events)
        return events
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if atStreamStart {
            atStreamStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }  // a UTF-8 BOM
        }
        if line.isEmpty {
            dispatch(into: &events)
            return
        }
        if line.first == UInt8(ascii: ":") { return }  // a comment, e.g. a keep-alive

        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "data": dataLines.append(String(value))
        case "event": type = String(value)
        case "id" where !value.contains("\0"): id = String(value)
        default: break  // "retry" and unknown fields do not matter to a one-shot request
        }
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        defer {
            type = nil
            dataLines = []
        }
        // Per spec an event without data is not dispatched (its type is forgotten).
        guard !dataLines.isEmpty else { return }
        events.append(SSEEvent(type: type, data: dataLines.joined(separator: "\n"), id: id))
    }
}
