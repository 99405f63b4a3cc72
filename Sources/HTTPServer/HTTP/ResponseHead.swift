import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Serialises a response's status line and header fields.
enum ResponseHead {
    /// How the body that follows the head is delimited on the wire.
    enum Framing {
        case length(Int)
        case chunked
        case untilClose
        case none
    }

    static func encode(
        status: HTTPStatus, headers: HTTPHeaders, framing: Framing,
        version: HTTPVersion, keepAlive: Bool, serverName: String?
    ) -> [UInt8] {
        var text = "\(version == .http1_0 ? "HTTP/1.0" : "HTTP/1.1") \(status.code) \(status.reason)\r\n"
        if let serverName { text += "Server: \(serverName)\r\n" }
        text += "Date: \(HTTPDate.now())\r\n"
        switch framing {
        case .length(let count): text += "Content-Length: \(count)\r\n"
        case .chunked: text += "Transfer-Encoding: chunked\r\n"
        case .untilClose, .none: break
        }
        if !keepAlive {
            text += "Connection: close\r\n"
        } else if version == .http1_0 {
            text += "Connection: keep-alive\r\n"
        }
        for field in headers.fields where !field.name.equalsIgnoringCase("Connection") {
            text += "\(field.name): \(field.value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Statuses that never carry a body (RFC 9110 §6.4.1).
    static func allowsBody(_ status: HTTPStatus) -> Bool {
        !(100..<200).contains(status.code) && status.code != 204 && status.code != 304
    }
}

/// The IMF-fixdate for the `Date` header, formatted at most once a second.
enum HTTPDate {
    private static let cache = Mutex<(second: time_t, text: String)>((0, ""))

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
