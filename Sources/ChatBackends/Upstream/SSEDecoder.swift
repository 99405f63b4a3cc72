#if canImport(Glibc)
import Glibc
#endif

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

/// An event as `SSEDecoder` hands it over on its fast path: `data` is the decoder's own
/// buffer, lent for the duration of the call that receives it (no copy, no String).
struct SSEEventView {
    /// The `event:` field, or `nil` when absent.
    var type: String?
    /// The `data:` lines joined with LF, as the upstream sent them (not yet checked as UTF-8).
    var data: UnsafeRawBufferPointer
    /// The `id:` field, if any.
    var id: String?

    /// The data as text (invalid UTF-8 repaired).
    var text: String { String(decoding: data, as: UTF8.self) }

    /// A copy that owns its data.
    var event: SSEEvent { SSEEvent(type: type, data: text, id: id) }
}

/// Turns upstream bytes, split anywhere, into server-sent events (WHATWG HTML
/// §9.2.6 "Interpreting an event stream").
///
/// Network reads split the stream at arbitrary byte offsets: mid-line, between CR and
/// LF, inside a multi-byte UTF-8 character. So a line that a read cuts is buffered until
/// it is complete; a line whole in the read is decoded where it lies. Lines end with
/// CRLF, LF or CR; lines starting with ":" are comments (keep-alives); a blank line
/// dispatches. A data line is kept as bytes: text is made only of what a caller reads.
///
/// ```swift
/// var decoder = SSEDecoder()
/// _ = try decoder.feed(buffer) { event in handle(event); return true }  // fast path: data lent
/// for event in try decoder.feed(chunk) { handle(event) }                // owned copies
/// for event in try decoder.finish() { handle(event) }
/// ```
struct SSEDecoder {
    /// A line longer than this is treated as a broken upstream rather than buffered
    /// without bound.
    static let defaultMaxLineBytes = 8 << 20

    /// What receives each event on the fast path; `false` stops the decoding (the
    /// caller has read all it wants, e.g. the stream's end marker).
    typealias Handler = (SSEEventView) throws(ChatBackendError) -> Bool

    private let maxLineBytes: Int
    /// The start of a line a read cut; empty when the last read ended at a line end.
    private var line: [UInt8] = []
    /// A CR ended the previous line; an LF right after it belongs to the same line end.
    private var afterCR = false
    private var atStreamStart = true

    private var type: String?
    /// The event's `data:` values so far, joined with LF.
    private var data: [UInt8] = []
    private var hasData = false
    private var id: String?
    /// A line over the limit ended the stream: every later call throws it. The owned-copy
    /// `feed` first returns the events completed before it (found by the fuzzer: fed
    /// whole they were lost, fed in pieces they were not).
    private var failure: ChatBackendError?

    init(maxLineBytes: Int = defaultMaxLineBytes) {
        self.maxLineBytes = maxLineBytes
    }

    /// Decodes `bytes`, handing each event it completes to `handle`; `false` when
    /// `handle` stopped it (the rest of `bytes` is then dropped).
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: Handler) throws(ChatBackendError) -> Bool {
        if let failure { throw failure }
        var start = 0
        while start < bytes.count {
            if afterCR {
                afterCR = false
                if bytes[start] == UInt8(ascii: "\n") {
                    start += 1
                    continue
                }
            }
            let end = Self.lineEnd(in: bytes, from: start)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            guard line.count + piece.count <= maxLineBytes else {
                let error = ChatBackendError(.upstreamProtocol, "event stream line longer than \(maxLineBytes) bytes")
                failure = error
                throw error
            }
            if end == bytes.count {  // cut by the read: keep it for the next one
                line.append(contentsOf: piece)
                break
            }
            afterCR = bytes[end] == UInt8(ascii: "\r")
            start = end + 1
            let goOn: Bool
            if line.isEmpty {
                goOn = try endLine(piece, handle)
            } else {
                line.append(contentsOf: piece)
                var whole: [UInt8] = []
                swap(&whole, &line)
                goOn = try Self.withBytes(whole) { whole throws(ChatBackendError) in try endLine(whole, handle) }
                whole.removeAll(keepingCapacity: true)
                swap(&whole, &line)
            }
            if !goOn { return false }
        }
        return true
    }

    /// The events completed by `bytes`, as owned copies.
    mutating func feed<Bytes: Sequence<UInt8>>(_ bytes: Bytes) throws(ChatBackendError) -> [SSEEvent] {
        var events: [SSEEvent] = []
        do {
            _ = try Self.withBytes(Array(bytes)) { bytes throws(ChatBackendError) in
                try feed(bytes) { event in
                    events.append(event.event)
                    return true
                }
            }
        } catch {
            if events.isEmpty { throw error }  // else: the events now, the failure next time
        }
        return events
    }

    /// The last event when the stream ends without the blank line that should end it,
    /// handed to `handle`.
    ///
    /// The spec discards such an event; we keep it because a proxy that trims the final
    /// newline would otherwise silently drop the end of a reply.
    mutating func finish<Failure: Error>(_ handle: (SSEEventView) throws(Failure) -> Bool) throws(Failure) {
        var rest: [UInt8] = []
        swap(&rest, &line)
        if !rest.isEmpty {
            guard try Self.withBytes(rest, { rest throws(Failure) in try endLine(rest, handle) }) else { return }
        }
        _ = try dispatch(handle)
    }

    /// `finish(_:)`, as owned copies; throws the failure that ended the stream, if any.
    mutating func finish() throws(ChatBackendError) -> [SSEEvent] {
        if let failure { throw failure }
        var events: [SSEEvent] = []
        finish { event in
            events.append(event.event)
            return true
        }
        return events
    }

    private mutating func endLine<Failure: Error>(_ line: UnsafeRawBufferPointer, _ handle: (SSEEventView) throws(Failure) -> Bool) throws(Failure) -> Bool {
        var line = line
        if atStreamStart {
            atStreamStart = false
            if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = UnsafeRawBufferPointer(rebasing: line[3...]) }  // a UTF-8 BOM
        }
        if line.isEmpty { return try dispatch(handle) }
        if line.first == UInt8(ascii: ":") { return true }  // a comment, e.g. a keep-alive

        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        var valueStart = min(colon + 1, line.endIndex)
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let field = UnsafeRawBufferPointer(rebasing: line[..<colon])
        let value = UnsafeRawBufferPointer(rebasing: line[valueStart...])
        if field.elementsEqual("data".utf8) {
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            type = String(decoding: value, as: UTF8.self)
        } else if field.elementsEqual("id".utf8), !value.contains(0) {
            id = String(decoding: value, as: UTF8.self)
        }
        // "retry" and unknown fields do not matter to a one-shot request
        return true
    }

    private mutating func dispatch<Failure: Error>(_ handle: (SSEEventView) throws(Failure) -> Bool) throws(Failure) -> Bool {
        defer {
            type = nil
            data.removeAll(keepingCapacity: true)
            hasData = false
        }
        // Per spec an event without data is not dispatched (its type is forgotten).
        guard hasData else { return true }
        return try Self.withBytes(data) { data throws(Failure) in try handle(SSEEventView(type: type, data: data, id: id)) }
    }

    /// The index of the first CR or LF at or after `start`, or `bytes.count`; found with
    /// `memchr` (vectorised), which matters as every byte of a proxied stream passes here.
    private static func lineEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard let base = bytes.baseAddress, start < bytes.count else { return bytes.count }
        let count = bytes.count - start
        let lf = memchr(base + start, Int32(UInt8(ascii: "\n")), count).map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
        let cr = memchr(base + start, Int32(UInt8(ascii: "\r")), lf - start).map { base.distance(to: UnsafeRawPointer($0)) } ?? lf
        return min(lf, cr)
    }

    /// `body` over the storage of `bytes`, keeping the error's type (Array's own
    /// `withUnsafeBytes` rethrows it as `any Error`).
    private static func withBytes<R, Failure: Error>(
        _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(Failure) -> R
    ) throws(Failure) -> R {
        try bytes.withUnsafeBytes { raw in Result { () throws(Failure) -> R in try body(raw) } }.get()
    }
}
