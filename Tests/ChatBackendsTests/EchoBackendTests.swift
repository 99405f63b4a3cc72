import XCTest
@testable import ChatBackends

final class EchoBackendTests: XCTestCase {
    func testChunksAreWordsAndConcatenateToTheInput() async {
        let input = "  Hello,  world!\n\tsecond line "
        let result = await collect(EchoBackend().stream(request(input)))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.text, input)
        XCTAssertEqual(result.deltas, ["  Hello,  ", "world!\n\t", "second ", "line "])
    }

    func testMultiByteCharactersStayIntact() async {
        let input = "日本語 テキスト 🙂👍🏽 e\u{301}t\u{E9} 👨‍👩‍👧"
        let result = await collect(EchoBackend().stream(request(input)))
        XCTAssertEqual(result.text, input)
        XCTAssertEqual(result.deltas.count, 5)
    }

    func testEchoesTheNewestUserTurn() async {
        let history = [ChatMessage(role: .user, content: "old"), ChatMessage(role: .assistant, content: "reply")]
        let result = await collect(EchoBackend().stream(request("new one", history: history)))
        XCTAssertEqual(result.text, "new one")
    }

    func testEmptyAndWhitespaceOnlyMessages() async {
        let empty = await collect(EchoBackend().stream(request("")))
        XCTAssertEqual(empty.events, [.finish(.stop)], "nothing to echo: the reply is empty, and done")
        let blank = await collect(EchoBackend().stream(request("   ")))
        XCTAssertEqual(blank.deltas, ["   "])
    }

    func testRequestDelayPacesChunks() async {
        let start = ContinuousClock.now
        let result = await collect(EchoBackend(defaultDelayMs: 0).stream(request("a b c d", delayMs: 40)))
        XCTAssertEqual(result.deltas.count, 4)
        // Three pauses between four chunks.
        XCTAssertGreaterThanOrEqual(millisecondsSince(start), 120)
    }

    func testDelayIsClamped() {
        XCTAssertEqual(EchoBackend(defaultDelayMs: -5).defaultDelayMs, 0)
        XCTAssertEqual(EchoBackend(defaultDelayMs: 999_999).defaultDelayMs, 60_000)
    }

    func testCancellingTheConsumerStopsAPacedEcho() async throws {
        let stream = EchoBackend(defaultDelayMs: 60_000).stream(request("first second third"))
        let firstChunk = expectation(description: "first chunk")
        let consumer = Task {
            var count = 0
            for try await _ in stream {
                count += 1
                firstChunk.fulfill()
            }
            return count
        }
        await fulfillment(of: [firstChunk], timeout: 5)
        let start = ContinuousClock.now
        consumer.cancel()
        let count = try await consumer.value
        XCTAssertEqual(count, 1)
        XCTAssertLessThan(millisecondsSince(start), 1000)
    }
}
