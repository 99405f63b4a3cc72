@testable import Sockets
import XCTest

final class DeadlineHeapTests: XCTestCase {
    private let origin = ContinuousClock.now

    private func instant(_ milliseconds: Int) -> ContinuousClock.Instant { origin + .milliseconds(milliseconds) }

    private func drain(_ heap: inout DeadlineHeap<Int>) -> [Int] {
        var payloads: [Int] = []
        while let entry = heap.popFirst() { payloads.append(entry.payload) }
        return payloads
    }

    func testPopsInDeadlineOrderWhateverTheInsertionOrder() {
        var generator = SeededGenerator(seed: 0xD1A)
        let offsets = (0..<500).map { _ in Int.random(in: 0..<10_000, using: &generator) }
        var heap = DeadlineHeap<Int>()
        for offset in offsets { heap.insert(instant(offset), offset) }
        XCTAssertEqual(heap.count, 500)
        XCTAssertEqual(heap.first?.payload, offsets.min())
        XCTAssertEqual(drain(&heap), offsets.sorted())
        XCTAssertTrue(heap.isEmpty)
        XCTAssertNil(heap.popFirst())
    }

    func testInsertionsBetweenPopsKeepTheOrder() {
        var heap = DeadlineHeap<Int>()
        for offset in [50, 10, 30] { heap.insert(instant(offset), offset) }
        XCTAssertEqual(heap.popFirst()?.payload, 10)
        heap.insert(instant(5), 5)
        heap.insert(instant(40), 40)
        XCTAssertEqual(drain(&heap), [5, 30, 40, 50])
    }

    func testRemoveAllKeepsTheRestInOrder() {
        var heap = DeadlineHeap<Int>()
        for offset in (0..<100).reversed() { heap.insert(instant(offset), offset) }
        heap.removeAll { $0.payload % 3 != 0 }
        XCTAssertEqual(heap.count, 34)
        XCTAssertEqual(drain(&heap), Array(stride(from: 0, to: 100, by: 3)))
    }
}
