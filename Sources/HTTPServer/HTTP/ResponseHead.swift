#if canImport(Glibc)
import Glibc
#endif
import Sockets

/// Serialises a response's status line and header fields.
enum ResponseHead {
    /// How the body that follows the head is delimited on the wire.
    enum Framing {
        case length(Int)
        case chunked
        case untilClose
        case none
    }

    /// The head as bytes, written straight into one buffer (this runs for every response).
    static func encode(
        status: HTTPStatus, headers: HTTPHeaders, framing: Framing,
        version: HTTPVersion, keepAlive: Bool, serverName: String?, reserving bodyCount: Int = 0
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + bodyCount)
        out += version == .http1_0 ? "HTTP/1.0 ".utf8 : "HTTP/1.1 ".utf8
        out += String(status.code).utf8
        out.append(.space)
        out += status.reason.utf8
        out += crlf
        if let serverName { field("Server", serverName, into: &out) }
        field("Date", HTTPDate.now(), into: &out)
        switch framing {
        case .length(let count): field("Content-Length", String(count), into: &out)
        case .chunked: field("Transfer-Encoding", "chunked", into: &out)
        case .untilClose, .none: break
        }
        if !keepAlive {
            field("Connection", "close", into: &out)
        } else if version == .http1_0 {
            field("Connection", "keep-alive", into: &out)
        }
        for (name, value) in headers.fields where !name.equalsIgnoringCase("Connection") {
            field(name, value, into: &out)
        }
        out += crlf
        return out
    }

    private static let crlf: [UInt8] = [.cr, .lf]

    private static func field(_ name: String, _ value: String, into out: inout [UInt8]) {
        out += name.utf8
        out.append(.colon)
        out.append(.space)
        out += value.utf8
        out += crlf
    }

    /// Statuses that never carry a body (RFC 9110 §6.4.1).
    static func allowsBody(_ status: HTTPStatus) -> Bool {
        !(100..<200).contains(status.code) && status.code != 204 && status.code != 304
    }
}

/// The IMF-fixdate for the `Date` header, formatted at most once a second.
enum HTTPDate {
    private static let cache = Lock<(second: time_t, text: String)>((0, ""))

    static func now() -> String {
        let second = time(nil)
        return cache.withLock { cache in
            if cache.second != second {
                var moment = tm()
                var clock = second
                gmtime_r(&clock, &moment)
                var buffer = [CChar](repeating: 0, count: 64)
                let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &moment)
                cache = (second, String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return cache.text
        }
    }
}
