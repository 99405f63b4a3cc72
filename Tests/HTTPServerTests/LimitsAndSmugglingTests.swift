import HTTPServer
import TestSupport
import XCTest

/// Each limit of README "Options" (limits) and each smuggling shape: the right status, then the server
/// closes the connection.
final class LimitsAndSmugglingTests: XCTestCase {
    private func assertRejected(
        _ request: String, status: Int, configure: (inout ServerConfiguration) -> Void = { _ in },
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let (_, port) = try startServer(makeTestRouter(), configure: configure)
        let client = try TestClient(port: port)
        try client.send(request)
        let response = try client.readResponse()
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        XCTAssertEqual(response.header("Connection"), "close", file: file, line: line)
        XCTAssertTrue(client.waitForClose(), "connection closed after \(status)", file: file, line: line)
        try assertStillServing(port, file: file, line: line)
    }

    private func assertStillServing(_ port: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "hello", "still serving", file: file, line: line)
    }

    /// Sends `piece` again and again, paced by the client's read timeout, until an answer
    /// comes (or `limit` passes): a client trickling bytes so no read of the server waits long.
    private func trickle(_ piece: String, to client: TestClient, for limit: Duration) -> TestResponse? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            try? client.send(piece)
            if let response = try? client.readResponse() { return response }
        }
        return nil
    }

    func testRequestLineTooLong() throws {
        try assertRejected("GET /\(String(repeating: "x", count: 9000)) HTTP/1.1\r\nHost: h\r\n\r\n", status: 414)
    }

    func testHeadersTooLargeAndTooMany() throws {
        try assertRejected("GET / HTTP/1.1\r\nHost: h\r\nX-Big: \(String(repeating: "x", count: 17 * 1024))\r\n\r\n", status: 431)
        let fields = (0..<101).map { "X-\($0): 1\r\n" }.joined()
        try assertRejected("GET / HTTP/1.1\r\nHost: h\r\n\(fields)\r\n", status: 431)
    }

    func testBodyTooLarge() throws {
        try assertRejected("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2048\r\n\r\n", status: 413)
        let chunk = String(repeating: "y", count: 600)
        try assertRejected("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n", status: 413)
    }

    func testLeadingEmptyLinesAreConsumedAndBounded() throws {
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send("\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "hello")
        XCTAssertEqual(try client.readResponse().text, "hello", "a CRLF between requests is fine too")
        // The issue's reproducer: a stream of empty lines is refused at once, not served.
        try assertRejected(String(repeating: "\r\n", count: 65536) + "GET /hello HTTP/1.1\r\nHost: h\r\n\r\n", status: 400)
    }

    func testChunkSizeBeyondTheBodyLimitIsRefusedAtOnce() throws {
        let chunked = "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        // The client waits 10 s at most: less than the 30 s body read timeout.
        try assertRejected(chunked + "fffffffffffffff\r\n", status: 413)
        try assertRejected(chunked + "fffffffffffffffffffff\r\n", status: 400)
    }

    func testTrailersAreBounded() throws {
        let body = "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n"
        let fields = (0...ServerConfiguration.maxTrailerFields).map { "X-\($0): y\r\n" }.joined()
        try assertRejected(body + fields + "\r\n", status: 431)
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send(body + "X-Fine: y\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "ok", "a few trailers are fine")
    }

    func testTrickledBodyAndEndlessTrailerGet408() throws {
        let (_, port) = try startServer(makeTestRouter()) { $0.bodyTotalTimeout = .milliseconds(500) }
        // Each piece comes well within the 30 s between pieces; only the total deadline ends it.
        let body = try TestClient(port: port, timeout: .milliseconds(100))
        try body.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n")
        XCTAssertEqual(trickle("a", to: body, for: .seconds(10))?.status, 408)
        let trailer = try TestClient(port: port, timeout: .milliseconds(100))
        try trailer.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n")
        XCTAssertEqual(trickle("X: y\r\n", to: trailer, for: .seconds(10))?.status, 408)
        try assertStillServing(port)
    }

    func testSmugglingShapes() throws {
        try assertRejected("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400)
        try assertRejected("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde", status: 400)
        try assertRejected("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n", status: 400)
        try assertRejected("GET /hello HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n  b\r\n\r\n", status: 400)
        try assertRejected("GET /hello HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n", status: 400)
        try assertRejected("GET /hello HTTP/1.1\r\n\r\n", status: 400)
    }

    func testSlowlorisGets408() throws {
        let (_, port) = try startServer(makeTestRouter()) { $0.headerReadTimeout = .milliseconds(800) }
        let client = try TestClient(port: port, timeout: .milliseconds(200))
        let start = ContinuousClock.now
        var answer: TestResponse?
        // One header byte at a time, the pace being the behaviour under test.
        for byte in "GET /hello HTTP/1.1\r\nHost: slow\r\nX-Slow: ".utf8 {
            try? client.send([byte])
            if let response = try? client.readResponse() { answer = response; break }
        }
        XCTAssertEqual(answer?.status, 408)
        let elapsed = ContinuousClock.now - start
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(800))
        XCTAssertLessThan(elapsed, .seconds(3))
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let (server, port) = try startServer(makeTestRouter()) { $0.keepAliveTimeout = .milliseconds(300) }
        let client = try TestClient(port: port, timeout: .seconds(3))
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 200)
        XCTAssertTrue(client.waitForClose())
        XCTAssertTrue(client.isAtEOF)
        _ = server
    }

    func testGarbageNeverTakesTheServerDown() throws {
        let (_, port) = try startServer(makeTestRouter())
        var generator = SeededGenerator(seed: 0x5EED)
        let fragments = ["GET ", "POST ", "/echo", " HTTP/1.1", "\r\n", "Host: h", "Content-Length: ", "Transfer-Encoding: chunked",
                         "\r\n\r\n", "ffffffff", "\u{0}", "\r", ":", " ", "0\r\n", "Expect: 100-continue"]
        for _ in 0..<150 {
            let client = try TestClient(port: port, timeout: .seconds(3))
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                if Bool.random(using: &generator) {
                    bytes += Array(fragments.randomElement(using: &generator)!.utf8)
                } else {
                    bytes += (0..<Int.random(in: 1...16, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                }
            }
            try? client.send(bytes)
            client.shutdownWrite()
            _ = try? client.readToEnd()  // an answer or a close: either way the server decided
        }
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "hello", "still serving after garbage")
    }
}

/// A deterministic random source (SplitMix64), so a failing input can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
