import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A tiny blocking HTTP/1.1 server on 127.0.0.1 (port 0) that records each request and
/// answers every connection with the same script, so tests run the real URLSession code
/// against exact provider wire formats without a network.
///
/// Runs on its own `Thread` with plain POSIX sockets, deliberately independent of the
/// code under test. By default every connection is closed after its script (`Connection:
/// close`); with `keepAlive` the script is replayed for each further request on the same
/// connection, and `concurrent` serves each connection on a thread of its own.
/// `acceptedConnections` counts the connections, so tests can see reuse.
/// Create it with `XCTestCase.fakeUpstream(_:)`, which stops it when the test ends.
public final class FakeUpstream: @unchecked Sendable {
    // @unchecked: mutable state lives in `recorded`/`closedAt` behind `lock`; sockets are
    // used by the server thread only, except `stop()` which only shuts the listener down
    // (under `lock`, as the accept loop closes it).

    /// One step of the scripted response.
    public enum Step {
        /// Write these bytes.
        case send([UInt8])
        /// Block until the test calls `signal()` (at most 10 s), e.g. to prove a chunk
        /// was delivered before the next one is written.
        case waitForSignal
        /// Read until the client closes the connection; records when (`closedAt`) and
        /// fulfils `clientClosed`. Used to observe cancellation from the server side.
        case awaitClientClose
        /// Write these bytes, then as `awaitClientClose`; the client closing while they
        /// are still being written counts as its close (a client that stopped reading).
        case sendThenAwaitClientClose([UInt8])

        public static func text(_ string: String) -> Step { .send(Array(string.utf8)) }
    }

    public struct RecordedRequest {
        public var method: String
        public var target: String
        public var headers: [String: String]
        public var body: Data

        public var path: String { String(target.prefix(while: { $0 != "?" })) }
        public var query: String? { target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) } }
        public var json: [String: Any] {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:]
        }
    }

    public let port: Int
    public let requestReceived = XCTestExpectation(description: "fake upstream received a request")
    public let clientClosed = XCTestExpectation(description: "fake upstream saw the client close")

    private let listener: Int32
    private let script: [Step]
    private let lock = NSLock()
    private var recorded: [RecordedRequest] = []
    private var closedInstant: ContinuousClock.Instant?
    private var accepted = 0
    private var listenerClosed = false
    private let keepAlive: Bool
    private let concurrent: Bool
    private let readsRequest: Bool
    private let signals = DispatchSemaphore(value: 0)

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var requests: [RecordedRequest] { lock.withLock { recorded } }
    public var closedAt: ContinuousClock.Instant? { lock.withLock { closedInstant } }
    /// Connections accepted so far.
    public var acceptedConnections: Int { lock.withLock { accepted } }

    /// - Parameters:
    ///   - keepAlive: after the script, wait for another request on the same connection
    ///     and play the script again (its head must frame the body: see `keepAliveHead`).
    ///   - concurrent: serve each connection on its own thread.
    ///   - readsRequest: `false` plays the script at once without reading a request
    ///     (a server that answers a TLS handshake with plain text).
    public init(_ script: [Step], keepAlive: Bool = false, concurrent: Bool = false, readsRequest: Bool = true) throws {
        self.script = script
        self.keepAlive = keepAlive
        self.concurrent = concurrent
        self.readsRequest = readsRequest
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 512) == 0 else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        requestReceived.assertForOverFulfill = false
        clientClosed.assertForOverFulfill = false
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Lets a `waitForSignal` step continue.
    public func signal() { signals.signal() }

    /// Stops accepting; `shutdown` wakes the thread blocked in `accept`.
    public func stop() {
        // Once, and never after the accept loop closed the listener: by then its number
        // may belong to another socket of this process (a server under test, say).
        lock.withLock {
            guard !listenerClosed else { return }
            listenerClosed = true
            shutdown(listener, Int32(SHUT_RDWR))
        }
    }

    private func acceptLoop() {
        defer {
            lock.withLock {
                listenerClosed = true
                close(listener)
            }
        }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            lock.withLock { accepted += 1 }
            if concurrent {
                Thread { [self] in
                    serve(connection)
                    close(connection)
                }.start()
            } else {
                serve(connection)
                close(connection)
            }
        }
    }

    private func serve(_ connection: Int32) {
        var timeout = timeval(tv_sec: 10, tv_usec: 0)  // bounds every blocking read
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var noDelay: Int32 = 1
        setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var reader = SocketReader(fd: connection)
        repeat {
            if readsRequest {
                guard let request = readRequest(&reader, connection) else { return }
                lock.withLock { recorded.append(request) }
            }
            requestReceived.fulfill()
            guard play(connection) else { return }
        } while keepAlive
    }

    /// Plays the script on `connection`; false when the connection ended.
    private func play(_ connection: Int32) -> Bool {
        for step in script {
            switch step {
            case .send(let bytes):
                guard writeAll(connection, bytes) else { return false }
            case .waitForSignal:
                _ = signals.wait(timeout: .now() + 10)
            case .awaitClientClose, .sendThenAwaitClientClose:
                if case .sendThenAwaitClientClose(let bytes) = step { _ = writeAll(connection, bytes) }
                var buffer = [UInt8](repeating: 0, count: 512)
                while recv(connection, &buffer, buffer.count, 0) > 0 {}
                lock.withLock { closedInstant = .now }
                clientClosed.fulfill()
                return false
            }
        }
        return true
    }

    private func readRequest(_ reader: inout SocketReader, _ connection: Int32) -> RecordedRequest? {
        guard let head = reader.readHead() else { return nil }
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["expect"]?.lowercased() == "100-continue" {
            _ = writeAll(connection, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        let body: Data
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = reader.readChunkedBody() ?? Data()
        } else {
            body = reader.read(count: Int(headers["content-length"] ?? "0") ?? 0) ?? Data()
        }
        return RecordedRequest(method: String(parts[0]), target: String(parts[1]), headers: headers, body: body)
    }

    private func writeAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }
}

/// Buffered reads from a blocking socket.
private struct SocketReader {
    let fd: Int32
    var buffer: [UInt8] = []

    mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer += chunk[0..<count]
        return true
    }

    mutating func readHead() -> String? {
        let marker: [UInt8] = [13, 10, 13, 10]
        while true {
            if let range = buffer.firstRange(of: marker) {
                let head = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<range.upperBound)
                return head
            }
            guard fill() else { return nil }
        }
    }

    mutating func read(count: Int) -> Data? {
        while buffer.count < count { guard fill() else { return nil } }
        defer { buffer.removeSubrange(..<count) }
        return Data(buffer[..<count])
    }

    mutating func readLine() -> String? {
        while true {
            if let range = buffer.firstRange(of: [13, 10]) {
                defer { buffer.removeSubrange(..<range.upperBound) }
                return String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
            }
            guard fill() else { return nil }
        }
    }

    mutating func readChunkedBody() -> Data? {
        var body = Data()
        while let sizeLine = readLine() {
            guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { return nil }
            if size == 0 { _ = readLine(); return body }
            guard let chunk = read(count: size) else { return nil }
            body += chunk
            _ = readLine()
        }
        return nil
    }
}

extension FakeUpstream.Step {
    /// A response head with `Connection: close`.
    public static func head(status: Int = 200, reason: String = "OK", contentType: String = "text/event-stream",
                     extraHeaders: [String] = []) -> Self {
        let lines = ["HTTP/1.1 \(status) \(reason)", "Content-Type: \(contentType)", "Connection: close"] + extraHeaders
        return .text(lines.joined(separator: "\r\n") + "\r\n\r\n")
    }

    /// A response head that keeps the connection open: the body is `contentLength` bytes,
    /// or chunked when `nil` (send it with `chunk(_:)`, then `lastChunk`).
    public static func keepAliveHead(contentLength: Int? = nil, contentType: String = "text/event-stream") -> Self {
        let framing = contentLength.map { "Content-Length: \($0)" } ?? "Transfer-Encoding: chunked"
        return .text("HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\n\(framing)\r\n\r\n")
    }

    /// `text` as one chunk of a chunked body.
    public static func chunk(_ text: String) -> Self {
        .text(String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n")
    }

    /// The end of a chunked body.
    public static var lastChunk: Self { .text("0\r\n\r\n") }

    /// `text` as separate writes of the given sizes in bytes (the last takes the rest),
    /// to split lines and UTF-8 sequences where the test chooses.
    public static func pieces(_ text: String, sizes: [Int]) -> [Self] {
        var bytes = Array(text.utf8)[...]
        var steps: [Self] = []
        for size in sizes where !bytes.isEmpty {
            steps.append(.send(Array(bytes.prefix(size))))
            bytes = bytes.dropFirst(size)
        }
        if !bytes.isEmpty { steps.append(.send(Array(bytes))) }
        return steps
    }
}

extension XCTestCase {
    /// A running fake upstream, stopped when the test ends.
    public func fakeUpstream(_ script: [FakeUpstream.Step], keepAlive: Bool = false, concurrent: Bool = false,
                             readsRequest: Bool = true) throws -> FakeUpstream {
        let server = try FakeUpstream(script, keepAlive: keepAlive, concurrent: concurrent, readsRequest: readsRequest)
        stopAtTearDown(server) { $0.stop() }
        return server
    }
}
