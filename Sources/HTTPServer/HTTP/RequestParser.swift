/// Turns received bytes into request heads and body pieces without touching a socket
/// (NIO's `ByteToMessageDecoder` shape): feed a buffer, get the next event or nil for
/// "need more bytes". Any split of the input yields the same events, and many pipelined
/// requests in one buffer come out one after another.
struct RequestParser {
    enum Event: Equatable {
        case head(RequestHead)
        case body([UInt8])
        case end
    }

    /// How the body of the current request is delimited.
    enum Framing: Equatable {
        case none
        case length(Int)
        case chunked
    }

    private enum State {
        case head
        case body(remaining: Int)
        case chunked(ChunkedBodyDecoder)
        case ended
    }

    private var headParser: RequestHeadParser
    private var state = State.head

    init(limits: RequestHeadParser.Limits) {
        headParser = RequestHeadParser(limits: limits)
    }

    /// The next event in `buffer`, consuming what it parsed; nil when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) throws(HTTPError) -> Event? {
        switch state {
        case .head:
            guard let head = try headParser.parse(&buffer) else { return nil }
            switch try Self.framing(of: head) {
            case .none: state = .ended
            case .length(let count): state = count == 0 ? .ended : .body(remaining: count)
            case .chunked: state = .chunked(ChunkedBodyDecoder())
            }
            return .head(head)
        case .body(let remaining):
            guard !buffer.isEmpty else { return nil }
            let piece = buffer.read(upTo: remaining)
            state = remaining == piece.count ? .ended : .body(remaining: remaining - piece.count)
            return .body(piece)
        case .chunked(var decoder):
            let result = try decoder.next(&buffer)
            state = .chunked(decoder)
            switch result {
            case .none: return nil
            case .some(.data(let bytes)): return .body(bytes)
            case .some(.end): state = .head; return .end
            }
        case .ended:
            state = .head
            return .end
        }
    }

    /// Sets the body limit of the request whose head was just returned, so a chunked body
    /// announcing a chunk beyond it is refused on the size line (a `Content-Length` is
    /// checked against the limit by the caller, before any body byte is read).
    mutating func limitBody(to maxBytes: Int) {
        guard case .chunked(var decoder) = state else { return }
        decoder.maxBodySize = maxBytes
        state = .chunked(decoder)
    }

    /// The body framing a head declares, refusing the ambiguous forms used for smuggling
    /// (RFC 9112 §6.3): Content-Length with Transfer-Encoding, differing lengths.
    static func framing(of head: RequestHead) throws(HTTPError) -> Framing {
        let hosts = head.headers.values("Host")
        if head.version == .http1_1 && hosts.isEmpty { throw .bad("missing Host header") }
        if hosts.count > 1 { throw .bad("more than one Host header") }
        let encodings = head.headers.values("Transfer-Encoding")
        let lengths = head.headers.values("Content-Length")
            .flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingSpaces() }
        if !encodings.isEmpty {
            guard lengths.isEmpty else { throw .bad("both Content-Length and Transfer-Encoding") }
            guard head.version == .http1_1 else { throw .bad("Transfer-Encoding on HTTP/1.0") }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map { $0.trimmingSpaces() }
            guard codings.count == 1, codings[0].equalsIgnoringCase("chunked") else {
                throw HTTPError(.notImplemented, "unsupported Transfer-Encoding")
            }
            return .chunked
        }
        guard let first = lengths.first else { return .none }
        guard lengths.allSatisfy({ $0 == first }) else { throw .bad("differing Content-Length values") }
        guard !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let count = Int(first) else {
            throw .bad("invalid Content-Length")
        }
        return .length(count)
    }
}
