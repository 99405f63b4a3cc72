import Foundation

/// Reads one HTTP/1.1 response from bytes split anywhere: the status line and headers,
/// then a body framed by `Transfer-Encoding: chunked`, `Content-Length`, or the end of
/// the connection (RFC 9112 §6.3). It never touches a socket: the client feeds it what
/// each read returned and forwards what comes out.
///
/// ```swift
/// var parser = HTTP1ResponseParser()
/// let output = try parser.feed(bytes)     // head once complete, body bytes, end
/// if parser.isComplete && parser.isReusable { /* the connection can carry another request */ }
/// try parser.finishAtClose()               // the peer closed: ends a close-delimited body
/// ```
///
/// Interim 1xx responses are skipped. Anything that could be read two ways (a
/// malformed length, a header folded over lines, both framings at once) is an error or
/// makes the connection unfit for reuse, never a guess.
struct HTTP1ResponseParser {
    /// A response head larger than this is refused.
    static let maxHeadBytes = 64 << 10
    /// A chunk-size or trailer line longer than this is refused.
    static let maxLineBytes = 8 << 10

    struct Head: Equatable {
        var status: Int
        /// Names lowercased; repeated fields joined with ", ".
        var headers: [String: String]
    }

    /// What one `feed` produced, in order: the head (once), body bytes, and whether the
    /// response ended.
    struct Output: Equatable {
        var head: Head?
        var body = Data()
        var isComplete = false
    }

    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private enum State: Equatable {
        case head
        case fixedLength(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case complete
    }

    private var state = State.head
    /// Bytes of the head (or of the current chunk-size/trailer line) seen so far.
    private var line: [UInt8] = []
    private var keepAlive = true

    /// Set for a response to HEAD, which has no body whatever its headers say.
    var requestWasHead = false

    init(requestWasHead: Bool = false) {
        self.requestWasHead = requestWasHead
    }

    /// Whether the whole response has been read.
    var isComplete: Bool {
        if case .complete = state { return true }
        return false
    }

    /// Whether the connection may carry another request: the response is complete, was
    /// framed by length or chunks, nothing followed it, and neither side asked to close.
    var isReusable: Bool { isComplete && keepAlive }

    /// Feeds the next bytes of the connection.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Output {
        var output = Output()
        var index = 0
        while index < bytes.count {
            switch state {
            case .head:
                let byte = bytes[index]
                index += 1
                line.append(byte)
                guard line.count <= Self.maxHeadBytes else { throw Failure("response head larger than \(Self.maxHeadBytes) bytes") }
                if byte == UInt8(ascii: "\n"), Self.endsHead(line) {
                    let head = try parseHead(line)
                    line.removeAll(keepingCapacity: false)
                    if (100..<200).contains(head.status) {
                        if head.status == 101 { throw Failure("unexpected 101 Switching Protocols") }
                        continue  // interim (100 Continue, 103 Early Hints): the real head follows
                    }
                    output.head = head
                    try frame(head)
                }
            case .fixedLength(let remaining):
                let count = min(remaining, bytes.count - index)
                output.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)]))
                index += count
                state = remaining == count ? .complete : .fixedLength(remaining: remaining - count)
            case .chunkData(let remaining):
                let count = min(remaining, bytes.count - index)
                output.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)]))
                index += count
                state = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            case .untilClose:
                output.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index...]))
                index = bytes.count
            case .chunkSize, .chunkDataEnd, .trailers:
                let byte = bytes[index]
                index += 1
                guard byte == UInt8(ascii: "\n") else {
                    line.append(byte)
                    guard line.count <= Self.maxLineBytes else { throw Failure("chunk line longer than \(Self.maxLineBytes) bytes") }
                    continue
                }
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                try endOfLine()
                line.removeAll(keepingCapacity: true)
            case .complete:
                keepAlive = false  // bytes after the response: the stream is out of step
                index = bytes.count
            }
        }
        output.isComplete = isComplete
        return output
    }

    /// `feed` for bytes in an array (tests, small inputs).
    mutating func feed(_ bytes: [UInt8]) throws(Failure) -> Output {
        let result = bytes.withUnsafeBytes { buffer -> Result<Output, Failure> in
            do throws(Failure) { return .success(try feed(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// The peer closed the connection: ends a close-delimited body; anything else not yet
    /// complete was cut short.
    mutating func finishAtClose() throws(Failure) {
        keepAlive = false
        switch state {
        case .complete: return
        case .untilClose: state = .complete
        case .head where line.isEmpty: throw Failure("the connection closed before a response")
        default: throw Failure("the connection closed mid-response")
        }
    }

    /// A line of the chunked framing ended (its CRLF removed).
    private mutating func endOfLine() throws(Failure) {
        switch state {
        case .chunkSize:
            let size = try Self.chunkSize(line)
            state = size == 0 ? .trailers : .chunkData(remaining: size)
        case .chunkDataEnd:
            guard line.isEmpty else { throw Failure("chunk data longer than its size") }
            state = .chunkSize
        case .trailers:
            if line.isEmpty { state = .complete }  // trailer fields themselves are ignored
        default:
            break
        }
    }

    /// Chooses the body framing from the head (RFC 9112 §6.3).
    private mutating func frame(_ head: Head) throws(Failure) {
        let transferEncoding = head.headers["transfer-encoding"]
        let contentLength = head.headers["content-length"]
        if requestWasHead || head.status == 204 || head.status == 304 {
            state = .complete
        } else if let transferEncoding {
            let last = transferEncoding.split(separator: ",").last.map { Self.trimmingOWS($0).lowercased() }
            state = last == "chunked" ? .chunkSize : .untilClose
            // Both framings at once is the shape of request smuggling: read this one, reuse nothing.
            if contentLength != nil || state != .chunkSize { keepAlive = false }
        } else if let contentLength {
            let values = Set(contentLength.split(separator: ",").map { String(Self.trimmingOWS($0)) })
            guard values.count == 1, let text = values.first, !text.isEmpty, text.count <= 18,
                  text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let length = Int(text) else {
                throw Failure("invalid Content-Length \"\(contentLength.prefix(40))\"")
            }
            state = length == 0 ? .complete : .fixedLength(remaining: length)
        } else {
            state = .untilClose
            keepAlive = false
        }
    }

    /// The status line and header fields; sets `keepAlive` from the version and `Connection`.
    private mutating func parseHead(_ bytes: [UInt8]) throws(Failure) -> Head {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let statusLine = lines.first.map({ String(decoding: $0, as: UTF8.self) }) else { throw Failure("empty response head") }
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[0].count == 8,
              parts[1].count == 3, let status = Int(parts[1]), status >= 100 else {
            throw Failure("bad status line \"\(statusLine.prefix(60))\"")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else {
                throw Failure("header folded over lines")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                  line[line.index(before: colon)] != UInt8(ascii: " ") else {
                throw Failure("bad header line \"\(String(decoding: line.prefix(60), as: UTF8.self))\"")
            }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(Self.trimmingOWS(Substring(decoding: line[(colon + 1)...], as: UTF8.self)))
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        let tokens = Set((headers["connection"] ?? "").lowercased().split(separator: ",").map { String(Self.trimmingOWS($0)) })
        keepAlive = parts[0] == "HTTP/1.1" ? !tokens.contains("close") : tokens.contains("keep-alive")
        return Head(status: status, headers: headers)
    }

    /// `text` without the spaces and tabs around it (RFC 9110 §5.6.3 optional
    /// whitespace); natively, where Foundation's trimming goes through UTF-16.
    private static func trimmingOWS(_ text: Substring) -> Substring {
        var text = text
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }

    /// Whether `head`, which ends with LF, ends with an empty line (LF LF or LF CR LF).
    private static func endsHead(_ head: [UInt8]) -> Bool {
        let count = head.count
        if count >= 2 && head[count - 2] == UInt8(ascii: "\n") { return true }
        return count >= 3 && head[count - 2] == UInt8(ascii: "\r") && head[count - 3] == UInt8(ascii: "\n")
    }

    /// The size of a chunk from its line: hex digits, then optional `;extensions`.
    private static func chunkSize(_ line: [UInt8]) throws(Failure) -> Int {
        let digits = line.prefix { $0 != UInt8(ascii: ";") }.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }), let size = Int(String(decoding: digits, as: UTF8.self), radix: 16), size >= 0 else {
            throw Failure("bad chunk size \"\(String(decoding: line.prefix(20), as: UTF8.self))\"")
        }
        return size
    }
}
