import HTTPServer
import TestSupport
import XCTest

/// Streaming bodies: backpressure, cancellation on disconnect, graceful shutdown.
final class StreamingTests: XCTestCase {
    func testSlowReaderBoundsWhatTheProducerGetsAhead() throws {
        let probe = Probe()
        let (_, port) = try startServer(makeTestRouter(probe: probe))
        let client = try TestClient(port: port, receiveBuffer: 64 * 1024)
        try client.send("GET /flood HTTP/1.1\r\nHost: h\r\n\r\n")
        // Stalling is the absence of an event, so it is sampled: the producer's count,
        // every 100 ms, until it stops moving (bounded by a deadline).
        var last = -1
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let now = probe.written.load(ordering: .relaxed)
            if now == last && now > 0 { break }
            last = now
            waitSampleInterval()
        }
        let ahead = probe.written.load(ordering: .relaxed)
        print("producer got \(ahead / 1024) KiB ahead of a reader that stopped")
        // The client's receive buffer and the server's send buffer, plus one piece.
        XCTAssertLessThanOrEqual(ahead, 1024 * 1024, "producer suspended by backpressure")
        XCTAssertLessThan(ahead, 128 * 64 * 1024)
        let response = try client.readResponse()
        XCTAssertEqual(response.body.count, 128 * 64 * 1024, "everything arrives once the reader reads")
    }

    func testClientDisconnectCancelsProducerPromptly() throws {
        let probe = Probe()
        let (_, port) = try startServer(makeTestRouter(probe: probe))
        let client = try TestClient(port: port)
        try client.send("GET /hang HTTP/1.1\r\nHost: h\r\n\r\n")
        var started = ""
        while !started.contains("data: started") { started += String(decoding: try client.receiveSome(), as: UTF8.self) }
        let closedAt = ContinuousClock.now
        client.abort()
        wait(for: [probe.cancelledExpectation], timeout: 5)
        let cancelledAt = try XCTUnwrap(probe.cancelled.withLock { $0 })
        let delay = cancelledAt - closedAt
        print("producer cancelled \(delay) after the client left")
        XCTAssertLessThanOrEqual(delay, .milliseconds(100))
    }

    func testShutdownLetsPoliteStreamsFinish() async throws {
        let (server, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send("GET /polite HTTP/1.1\r\nHost: h\r\n\r\n")
        _ = try client.readLine()  // status line: the stream has started
        let idle = try TestClient(port: port)
        try idle.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        _ = try idle.readResponse()
        await server.shutdown()
        XCTAssertTrue(idle.waitForClose(), "idle keep-alive connection closed at once")
        let rest = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(rest.contains("data: bye"), "the stream said goodbye")
        XCTAssertTrue(rest.hasSuffix("0\r\n\r\n"), "and ended its chunked body")
        XCTAssertThrowsError(try TestClient(port: port), "no longer accepting")
    }

    func testShutdownCancelsStreamsThatOutliveTheGracePeriod() async throws {
        let probe = Probe()
        let (server, port) = try startServer(makeTestRouter(probe: probe))
        let client = try TestClient(port: port)
        try client.send("GET /hang HTTP/1.1\r\nHost: h\r\n\r\n")
        _ = try client.receiveSome()
        await server.shutdown()
        await fulfillment(of: [probe.cancelledExpectation], timeout: 5)
        let rest = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertTrue(rest.contains("data: shutting down"), "the producer could still say why")
    }

    func testHeartbeatPingsASilentStream() throws {
        var router = Router()
        router.add(.get, "/quiet") { _ in
            Response(headers: ["Content-Type": "text/event-stream"]) { writer in
                try await withHeartbeat(writer, every: .milliseconds(50)) { writer in
                    try await Task.sleep(for: .milliseconds(180))
                    try await writer.write(ServerSentEvent.data("done"))
                }
            }
        }
        let (_, port) = try startServer(router)
        let client = try TestClient(port: port)
        try client.send("GET /quiet HTTP/1.1\r\nHost: h\r\n\r\n")
        let body = try client.readResponse().text
        XCTAssertTrue(body.hasPrefix(": ping\n\n"), body)
        XCTAssertTrue(body.hasSuffix("data: done\n\n"), body)
        XCTAssertGreaterThanOrEqual(body.components(separatedBy: ": ping").count - 1, 2)
    }
}

/// One sampling period of a stall detector (a poll on no descriptors).
private func waitSampleInterval() {
    _ = poll(nil, 0, 100)
}
