@testable import Runnel
import XCTest

final class ProviderOutboxTests: XCTestCase {
    func testWhatPilesUpGoesOutInOneTake() async {
        let outbox = ProviderOutbox(maxPendingBytes: 1024)
        outbox.put(Array("a".utf8))
        outbox.put(Array("b".utf8))
        outbox.put(Array("c".utf8), done: true)
        let taken = await outbox.take()
        XCTAssertEqual(String(decoding: taken.bytes, as: UTF8.self), "abc")
        XCTAssertTrue(taken.done)
    }

    func testATakeWaitsForThePump() async {
        let outbox = ProviderOutbox(maxPendingBytes: 1024)
        let taker = Task { await outbox.take() }
        XCTAssertTrue(eventually { outbox.hasWaitingTaker })
        outbox.put(Array("x".utf8))
        let taken = await taker.value
        XCTAssertEqual(taken.bytes, Array("x".utf8))
        XCTAssertFalse(taken.done)
    }

    func testCancellingAWaitingTakeEndsItEmpty() async {
        let outbox = ProviderOutbox(maxPendingBytes: 1024)
        let taker = Task { await outbox.take() }
        XCTAssertTrue(eventually { outbox.hasWaitingTaker })
        taker.cancel()
        let taken = await taker.value
        XCTAssertEqual(taken.bytes, [])
        XCTAssertFalse(taken.done)
    }

    func testWhatTheClientHasNotTakenIsBounded() async {
        let outbox = ProviderOutbox(maxPendingBytes: 10)
        XCTAssertTrue(outbox.put(Array("123456".utf8)))
        XCTAssertFalse(outbox.put(Array("78901".utf8)), "11 bytes untaken: refused")
        XCTAssertTrue(outbox.put(Array("7890".utf8)), "10: at the bound")
        XCTAssertTrue(outbox.put(Array("the closing event".utf8), done: true), "closing bytes always go in")
        let taken = await outbox.take()
        XCTAssertEqual(String(decoding: taken.bytes, as: UTF8.self), "1234567890the closing event")
        XCTAssertTrue(taken.done)
    }

    func testATakeMakesRoomAgain() async {
        let outbox = ProviderOutbox(maxPendingBytes: 4)
        XCTAssertTrue(outbox.put(Array("abcd".utf8)))
        XCTAssertFalse(outbox.put(Array("e".utf8)))
        _ = await outbox.take()
        XCTAssertTrue(outbox.put(Array("efgh".utf8)), "the client took what was there")
    }
}
