import Foundation
import Sockets
import XCTest

/// `Lock`, the mutex every target uses (README "Tests").
final class LockTests: XCTestCase {
    /// Threads that change the value at the same time lose none of their changes.
    func testChangesFromManyThreadsAreNeverLost() {
        let counter = Lock(0)
        let threads = 4, rounds = 20_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<rounds { counter.withLock { $0 += 1 } }
        }
        XCTAssertEqual(counter.withLock { $0 }, threads * rounds)
    }

    /// What `body` returns or throws comes out of `withLock`, and the lock is free after.
    func testResultsAndErrorsPassThrough() {
        struct Refused: Error {}
        let names = Lock(["a"])
        XCTAssertEqual(names.withLock { names -> Int in names.append("b"); return names.count }, 2)
        XCTAssertThrowsError(try names.withLock { _ throws(Refused) -> Void in throw Refused() }) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(names.withLock { $0 }, ["a", "b"])
    }

    /// The standard library's `Mutex` locks with a futex ThreadSanitizer cannot see, so each
    /// access it guards is reported as a race and `make test-tsan` fails: shared state goes
    /// under `Lock` (its comment says why).
    func testNoTargetUsesTheStandardLibraryMutex() throws {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var users: [String] = []
        var scanned = 0
        for folder in ["Sources", "Tests", "Plugins"] {
            let root = repository.appendingPathComponent(folder)
            let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
            while let file = files?.nextObject() as? URL {
                guard file.pathExtension == "swift", file.lastPathComponent != "Lock.swift",
                      file.lastPathComponent != "LockTests.swift" else { continue }
                let text = try String(contentsOf: file, encoding: .utf8)
                scanned += 1
                if text.contains("Mutex(") || text.contains("Mutex<") {
                    users.append(String(file.path.dropFirst(repository.path.count + 1)))
                }
            }
        }
        XCTAssertGreaterThan(scanned, 100, "the sources were not found from \(repository.path)")
        XCTAssertEqual(users, [], "use Lock (Sources/Sockets/Lock.swift) instead of Mutex")
    }
}
