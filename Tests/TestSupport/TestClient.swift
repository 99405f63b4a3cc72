import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback HTTP client for tests: it sends exactly the bytes a test writes and
/// parses responses itself, so a server bug cannot hide behind a lenient client library.
/// Every read waits at most `timeout` (SO_RCVTIMEO), never a fixed sleep.
public final class TestClient {
    public let fd: Int32
    private var pending: [UInt8] = []
    public private(set) var isAtEOF = false

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ text: String) { description = text }
    }

    /// `sourceAddress`: an IPv4 address to connect from (any of 127.0.0.0/8 works on
    /// loopback), so one test can play several clients.
    public init(port: Int, host: String = "127.0.0.1", timeout: Duration = .seconds(10), receiveBuffer: Int? = nil, sourceAddress: String? = nil) throws {
        let isV6 = host.contains(":")
        fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket failed: errno \(errno)") }
        if let sourceAddress {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, sourceAddress, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard bound == 0 else { throw Failure("bind to \(sourceAddress) failed: errno \(errno)") }  // deinit closes fd
        }
        if let receiveBuffer {
            var size = Int32(receiveBuffer)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        setTimeout(timeout)
        let result: Int32
        if isV6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        // No close here: an initializer that throws once `fd` is set still runs `deinit`, which
        // closes it; a second close could hit a descriptor the server under test just opened.
        guard result == 0 else { throw Failure("connect to \(host):\(port) failed: errno \(errno)") }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func setTimeout(_ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure("send failed: errno \(errno)") }
            offset += sent
        }
    }

    /// Closes the write side, as a client that sent everything does.
    public func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Closes the connection now (with a reset if unread data remains).
    public func abort() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Reads whatever arrives next (at least one byte), or throws at the timeout or EOF.
    @discardableResult
    public func receiveSome() throws -> [UInt8] {
        if !pending.isEmpty { defer { pending = [] }; return pending }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { return Array(buffer[..<count]) }
        if count == 0 { isAtEOF = true; throw Failure("connection closed by server") }
        throw Failure(errno == EAGAIN ? "timed out waiting for data" : "recv failed: errno \(errno)")
    }

    /// True when the server closes the connection (EOF or reset) before the timeout.
    public func waitForClose() -> Bool {
        while true {
            do { _ = try receiveSome() } catch { return isAtEOF || errno == ECONNRESET }
        }
    }

    /// True when the connection is reset (or closed both ways) within `timeout`, found
    /// without reading: for a client that must keep its receive buffer full. A server
    /// that closes with requests still unread sends a reset, which arrives at once.
    public func waitForResetWithoutReading(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var descriptor = pollfd(fd: fd, events: 0, revents: 0)  // POLLHUP and POLLERR are always reported
        while ContinuousClock.now < deadline {
            let (seconds, attoseconds) = (deadline - .now).components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            if poll(&descriptor, 1, milliseconds) > 0 {
                return descriptor.revents & Int16(POLLHUP | POLLERR) != 0
            }
        }
        return false
    }

    /// Every byte until the server closes the connection.
    public func readToEnd() throws -> [UInt8] {
        var all = pending
        pending = []
        while true {
            do { all += try receiveSome() } catch { if isAtEOF { return all } else { throw error } }
        }
    }

    /// Reads one line ending in CRLF (without it).
    public func readLine() throws -> String {
        while true {
            if let index = pending.firstIndex(of: 0x0A), index > 0, pending[index - 1] == 0x0D {
                let line = String(decoding: pending[..<(index - 1)], as: UTF8.self)
                pending.removeFirst(index + 1)
                return line
            }
            let more = try receiveRaw()
            pending += more
        }
    }

    /// Exactly `count` bytes.
    public func readExactly(_ count: Int) throws -> [UInt8] {
        while pending.count < count { pending += try receiveRaw() }
        let bytes = Array(pending[..<count])
        pending.removeFirst(count)
        return bytes
    }

    private func receiveRaw() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { return Array(buffer[..<count]) }
        if count == 0 { isAtEOF = true; throw Failure("connection closed by server") }
        throw Failure(errno == EAGAIN ? "timed out waiting for data" : "recv failed: errno \(errno)")
    }

    /// Parses one response: status line, headers, and a body framed by Content-Length,
    /// chunked encoding, or the connection closing. `head: true` for a HEAD request;
    /// `bodyless: true` stops after the headers (read the body with ``readBody(of:)``).
    public func readResponse(head: Bool = false, bodyless: Bool = false) throws -> TestResponse {
        var statusLine = try readLine()
        while statusLine.hasPrefix("HTTP/1.1 100") { _ = try readLine(); statusLine = try readLine() }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure("bad status line: \(statusLine)") }
        var headers: [(String, String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw Failure("bad header: \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = TestResponse(statusLine: statusLine, status: status, headers: headers, body: [])
        if head || bodyless || status == 204 || status == 304 { return response }
        response.body = try readBody(of: response)
        return response
    }

    /// The body of `response`, framed as its headers say.
    public func readBody(of response: TestResponse) throws -> [UInt8] {
        if let length = response.header("Content-Length").flatMap(Int.init) { return try readExactly(length) }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" { return try readChunkedBody() }
        return try readToEnd()
    }

    /// Reads chunks until the last one, calling `onChunk` with each as it arrives.
    public func readChunkedBody(onChunk: ([UInt8]) throws -> Void = { _ in }) throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine()
            guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { throw Failure("bad chunk size \(sizeLine)") }
            if size == 0 {
                while try !readLine().isEmpty {}
                return body
            }
            let chunk = try readExactly(size)
            guard try readLine().isEmpty else { throw Failure("chunk not followed by CRLF") }
            body += chunk
            try onChunk(chunk)
        }
    }
}

/// One parsed response.
public struct TestResponse {
    public let statusLine: String
    public let status: Int
    public let headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}
