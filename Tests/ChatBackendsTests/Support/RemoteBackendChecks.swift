import TestSupport
import XCTest
@testable import ChatBackends

/// A fake key, long enough to be redacted and distinctive enough to search for.
let testKey = "sk-test-0123456789abcdefSECRET"

/// Server-sent events text: each element becomes one event (optionally typed), with
/// the given line ending.
func sse(_ events: [(type: String?, data: String)], lineEnding: String = "\n") -> String {
    events.map { event in
        (event.type.map { "event: \($0)\(lineEnding)" } ?? "") + "data: \(event.data)\(lineEnding)\(lineEnding)"
    }.joined()
}

func sse(_ data: [String], lineEnding: String = "\n") -> String {
    sse(data.map { (type: nil, data: $0) }, lineEnding: lineEnding)
}

/// Checks shared by every remote backend, each against a fresh fake upstream.
extension XCTestCase {
    /// The consumer cancels after the first delta; the fake must see its connection
    /// closed promptly (≤ 1 s asserted, ~100 ms expected; the time is printed).
    func assertCancellingClosesTheUpstream(
        _ make: (FakeUpstream) -> any ChatBackend, firstEvent: String,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let server = try fakeUpstream([.head(), .text(firstEvent), .awaitClientClose])
        let backend = make(server)
        let stream = backend.stream(request("hello"))
        let firstDelta = expectation(description: "first delta")
        let consumer = Task {
            for try await event in stream { if case .delta = event { firstDelta.fulfill() } }
        }
        await fulfillment(of: [firstDelta], timeout: 5)
        let cancelledAt = ContinuousClock.now
        consumer.cancel()
        await fulfillment(of: [server.clientClosed], timeout: 1)
        let closedAt = try XCTUnwrap(server.closedAt, file: file, line: line)
        let elapsed = closedAt - cancelledAt
        let elapsedMs = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        print("\(backend.name): upstream connection closed \(String(format: "%.1f", elapsedMs)) ms after the consumer cancelled")
        XCTAssertLessThan(elapsedMs, 1000, file: file, line: line)
    }

    /// Headers, then silence: with a 0.3 s idle limit the stream fails with a timeout.
    func assertSilenceAfterHeadersTimesOut(
        _ make: (FakeUpstream, UpstreamTimeouts) -> any ChatBackend,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let server = try fakeUpstream([.head(), .awaitClientClose])
        let backend = make(server, UpstreamTimeouts(connect: 5, firstByte: 5, idle: 0.3))
        let start = ContinuousClock.now
        let result = await collect(backend.stream(request("hello")))
        XCTAssertEqual(result.backendError?.code, .upstreamTimeout, "\(String(describing: result.error))", file: file, line: line)
        XCTAssertTrue(result.backendError?.message.hasPrefix("\(backend.name): ") ?? false, file: file, line: line)
        XCTAssertGreaterThanOrEqual(millisecondsSince(start), 290, file: file, line: line)
        XCTAssertLessThan(millisecondsSince(start), 5000, file: file, line: line)
    }

    /// An HTTP error status with a provider error body maps to `code`, quotes the
    /// provider's message, and never contains the key.
    func assertHTTPError(
        status: Int, body: String, expected code: ChatBackendError.Code, quoting: String,
        _ make: (FakeUpstream) -> any ChatBackend,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        let server = try fakeUpstream([.head(status: status, reason: "Error", contentType: "application/json"), .text(body)])
        let result = await collect(make(server).stream(request("hello")))
        XCTAssertEqual(result.events, [], file: file, line: line)
        let error = try XCTUnwrap(result.backendError, "\(String(describing: result.error))", file: file, line: line)
        XCTAssertEqual(error.code, code, error.message, file: file, line: line)
        XCTAssertTrue(error.message.contains("HTTP \(status)"), error.message, file: file, line: line)
        XCTAssertTrue(error.message.contains(quoting), error.message, file: file, line: line)
        XCTAssertFalse(error.message.contains(testKey), error.message, file: file, line: line)
        XCTAssertFalse(error.message.contains("0123456789abcdef"), error.message, file: file, line: line)
    }
}
