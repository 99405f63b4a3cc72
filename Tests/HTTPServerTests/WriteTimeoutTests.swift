@testable import HTTPServer
import Synchronization
import TestSupport
import XCTest

/// ``ServerConfiguration/writeTimeout``: a client that stops reading loses its connection,
/// whether it waits on a whole response or on a stream, and its slot serves others.
final class WriteTimeoutTests: XCTestCase {
    /// One slot, so the next client is served only if the stuck one was let go.
    private func startOneSlotServer(_ router: Router) throws -> Int {
        try startServer(router) {
            $0.writeTimeout = .milliseconds(300)
            $0.maxConnections = 1
        }.1
    }

    /// Requests the server cannot read while it is stuck on the first response: more than
    /// one read of the server's, so closing with them unread resets the connection.
    private func pipelined(_ request: String) -> String {
        String(repeating: request, count: 2 * EventLoop.readBufferBytes / request.utf8.count + 1)
    }

    private func assertServed(_ port: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let client = try TestClient(port: port)
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "hello", "the slot was freed", file: file, line: line)
    }

    func testClientThatNeverReadsAWholeResponseIsClosed() throws {
        var router = makeTestRouter()
        let big = [UInt8](repeating: 0x62, count: 4 << 20)
        router.add(.get, "/big") { _ in Response(headers: ["Content-Type": "application/octet-stream"], body: big) }
        let port = try startOneSlotServer(router)
        let stuck = try TestClient(port: port, receiveBuffer: 4096)
        try stuck.send(pipelined("GET /big HTTP/1.1\r\nHost: h\r\n\r\n"))
        XCTAssertTrue(stuck.waitForResetWithoutReading(timeout: .seconds(10)), "closed after the write timeout")
        try assertServed(port)
    }

    func testStreamToAClientThatNeverReadsIsDropped() throws {
        let failure = Mutex<(any Error)?>(nil)
        let failed = expectation(description: "the stream's write failed")
        var router = makeTestRouter()
        router.add(.get, "/forever") { _ in
            Response(headers: ["Content-Type": "text/event-stream"]) { writer in
                let piece = ServerSentEvent.data(String(repeating: "x", count: 16 * 1024))
                do {
                    while true { try await writer.write(piece) }
                } catch {
                    failure.withLock { $0 = error }
                    failed.fulfill()
                    throw error
                }
            }
        }
        let port = try startOneSlotServer(router)
        let stuck = try TestClient(port: port, receiveBuffer: 4096)
        try stuck.send("GET /forever HTTP/1.1\r\nHost: h\r\n\r\n" + pipelined("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"))
        wait(for: [failed], timeout: 10)
        XCTAssertEqual(failure.withLock { $0 } as? SocketError, .timedOut)
        XCTAssertTrue(stuck.waitForResetWithoutReading(timeout: .seconds(10)), "closed after the write timeout")
        try assertServed(port)
    }
}
