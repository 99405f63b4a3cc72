/// Parses a request line and header fields (RFC 9112 §2–§5) out of a buffer, strictly:
/// every line ends in CRLF, a bare CR or LF, obs-fold, or a space before a colon is a 400,
/// because lenient parsers disagreeing with proxies is how requests get smuggled.
struct RequestHeadParser {
    struct Limits: Sendable {
        var maxRequestLine: Int
        var maxHeaderBytes: Int
        var maxHeaderCount: Int
    }

    let limits: Limits
    /// How far the current head has been scanned, relative to the buffer's first unread
    /// byte: a head arriving in many small reads is scanned once in all, not once per read.
    private var scanned = 0
    private var lines: [Range<Int>] = []
    private var lineStart = 0
    private var emptyLinesSkipped = 0

    init(limits: Limits) {
        self.limits = limits
    }

    /// The next head in `buffer`, consumed with the empty lines before it; nil while its
    /// blank line has not arrived (the bytes stay in `buffer`, and are not scanned again).
    mutating func parse(_ buffer: inout ByteBuffer) throws(HTTPError) -> RequestHead? {
        try skipEmptyLines(&buffer)
        guard let (head, used) = try buffer.withReadableBytes({ bytes throws(HTTPError) in try scan(bytes) }) else {
            return nil
        }
        buffer.consume(used)
        self = RequestHeadParser(limits: limits)
        return head
    }

    /// RFC 9112 §2.2: ignore empty lines before the request line, but only a few, and
    /// consume them, so a stream of CRLFs can neither grow the buffer nor go on forever.
    private mutating func skipEmptyLines(_ buffer: inout ByteBuffer) throws(HTTPError) {
        guard scanned == 0 else { return }
        while buffer.withReadableBytes({ $0.count >= 2 && $0[0] == .cr && $0[1] == .lf }) {
            emptyLinesSkipped += 1
            if emptyLinesSkipped > ServerConfiguration.maxLeadingEmptyLines {
                throw .bad("more than \(ServerConfiguration.maxLeadingEmptyLines) empty lines before the request line")
            }
            buffer.consume(2)
        }
    }

    private mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPError) -> (RequestHead, Int)? {
        var index = scanned
        while index < bytes.count {
            let byte = bytes[index]
            if byte == .lf { throw .bad("bare LF in request head") }
            if byte == .cr {
                guard index + 1 < bytes.count else { break }
                guard bytes[index + 1] == .lf else { throw .bad("bare CR in request head") }
                if index == lineStart {
                    return (try makeHead(bytes, lines: lines), index + 2)
                }
                try checkSize(upTo: index)
                lines.append(lineStart..<index)
                index += 2
                lineStart = index
                continue
            }
            index += 1
        }
        scanned = index
        try checkSize(upTo: index)
        return nil
    }

    private func checkSize(upTo end: Int) throws(HTTPError) {
        if lines.isEmpty {
            if end - lineStart > limits.maxRequestLine {
                throw HTTPError(.uriTooLong, "request line longer than \(limits.maxRequestLine) bytes")
            }
            return
        }
        if end - lines[0].upperBound > limits.maxHeaderBytes {
            throw HTTPError(.headersTooLarge, "header section larger than \(limits.maxHeaderBytes) bytes")
        }
        if lines.count - 1 > limits.maxHeaderCount {
            throw HTTPError(.headersTooLarge, "more than \(limits.maxHeaderCount) header fields")
        }
    }

    private func makeHead(_ bytes: UnsafeBufferPointer<UInt8>, lines: [Range<Int>]) throws(HTTPError) -> RequestHead {
        guard let requestLine = lines.first else { throw .bad("empty request") }
        if lines.count - 1 > limits.maxHeaderCount {
            throw HTTPError(.headersTooLarge, "more than \(limits.maxHeaderCount) header fields")
        }
        var head = try parseRequestLine(bytes[requestLine])
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            let field = bytes[line]
            guard let first = field.first, first != .space, first != .tab else {
                throw .bad("obsolete line folding in header")
            }
            guard let colon = field.firstIndex(of: .colon), colon > field.startIndex else {
                throw .bad("header line without a name")
            }
            let name = bytes[field.startIndex..<colon]
            guard name.allSatisfy(\.isTokenCharacter) else { throw .bad("invalid header name") }
            var valueStart = colon + 1
            var valueEnd = field.endIndex
            while valueStart < valueEnd, bytes[valueStart] == .space || bytes[valueStart] == .tab { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == .space || bytes[valueEnd - 1] == .tab { valueEnd -= 1 }
            let value = bytes[valueStart..<valueEnd]
            guard !value.contains(0) else { throw .bad("NUL in header value") }
            headers.add(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
        head.headers = headers
        return head
    }

    private func parseRequestLine(_ line: Slice<UnsafeBufferPointer<UInt8>>) throws(HTTPError) -> RequestHead {
        let parts = line.split(separator: .space, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { throw .bad("malformed request line") }
        guard parts[0].allSatisfy(\.isTokenCharacter) else { throw .bad("invalid method") }
        let version: HTTPVersion
        switch String(decoding: parts[2], as: UTF8.self) {
        case "HTTP/1.1": version = .http1_1
        case "HTTP/1.0": version = .http1_0
        case let other where other.hasPrefix("HTTP/"): throw HTTPError(.versionNotSupported, "\(other) is not supported")
        default: throw .bad("malformed HTTP version")
        }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .bad("invalid characters in request target") }
        let target = String(decoding: parts[1], as: UTF8.self)
        guard target.hasPrefix("/") || target == "*" else { throw .bad("request target must be an absolute path") }
        return RequestHead(method: HTTPMethod(rawValue: String(decoding: parts[0], as: UTF8.self)), target: target, version: version)
    }
}

extension UInt8 {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B

    /// RFC 9110 §5.6.2 tchar.
    var isTokenCharacter: Bool {
        switch self {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }
}
