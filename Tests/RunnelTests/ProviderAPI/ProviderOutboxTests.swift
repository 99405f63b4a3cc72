@testable import Runnel
import XCTest

final class ProviderOutboxTests: XCTestCase {
    func testWhatPilesUpGoesOutInOneTake() async {
        let outbox = ProviderOutbox()
        outbox.put(Array("a".utf8))
        outbox.put(Array("b".utf8))
        outbox.put(Array("c".utf8), done: true)
        let taken = await outbox.take()
        XCTAssertEqual(String(decoding: taken.bytes, as: UTF8.self), "abc")
        XCTAssertTrue(taken.done)
    }

    func testATakeWaitsForThePump() async {
        let outbox = ProviderOutbox()
        let taker = Task { await outbox.take() }
        try? await Task.sleep(for: .milliseconds(20))
        outbox.put(Array("x".utf8))
        let taken = await taker.value
        XCTAssertEqual(taken.bytes, Array("x".utf8))
        XCTAssertFalse(taken.done)
    }

    func testCancellingAWaitingTakeEndsItEmpty() async {
        let outbox = ProviderOutbox()
        let taker = Task { await outbox.take() }
        try? await Task.sleep(for: .milliseconds(20))
        taker.cancel()
        let taken = await taker.value
        XCTAssertEqual(taken.bytes, [])
        XCTAssertFalse(taken.done)
    }
}
