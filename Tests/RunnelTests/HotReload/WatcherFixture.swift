import Foundation
import XCTest
@testable import Runnel

/// Collects a watcher's callbacks and lets a test wait for them with a deadline.
// @unchecked: every stored property is read and written with `condition` locked.
final class ChangeRecorder: @unchecked Sendable {
    private let condition = NSCondition()
    private var recorded: [Set<String>] = []

    /// The batches so far, oldest first.
    var batches: [Set<String>] {
        condition.lock()
        defer { condition.unlock() }
        return recorded
    }

    /// Every path reported so far.
    var paths: Set<String> { batches.reduce(into: []) { $0.formUnion($1) } }

    func record(_ batch: Set<String>) {
        condition.lock()
        recorded.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until `done(batches)` holds; false when `timeout` passed first.
    func wait(timeout: TimeInterval = 5, until done: ([Set<String>]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !done(recorded) {
            guard condition.wait(until: deadline) else { return done(recorded) }
        }
        return true
    }
}

/// A temporary base folder holding `Frontend/` and `Templates/`, watched for the test.
class WatcherTestCase: XCTestCase {
    var base: URL!
    var recorder: ChangeRecorder!
    var watcher: FileWatcher?

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appending(path: "watcher-\(UUID().uuidString)")
        for folder in ["Frontend", "Templates"] {
            try FileManager.default.createDirectory(at: base.appending(path: folder), withIntermediateDirectories: true)
        }
        try write("old", to: "Frontend/app.js")
        recorder = ChangeRecorder()
    }

    override func tearDownWithError() throws {
        watcher?.stop()
        try FileManager.default.removeItem(at: base)
    }

    func startWatching(coalesce: Duration = .milliseconds(20)) throws {
        let recorder = self.recorder!
        watcher = try FileWatcher(base: base, folders: ["Frontend", "Templates"], coalesce: coalesce) {
            recorder.record($0)
        }
    }

    func url(_ path: String) -> URL { base.appending(path: path) }

    /// Writes in place, as VS Code does (open, truncate, write, close).
    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: url(path))
    }

    func makeFolder(_ path: String) throws {
        try FileManager.default.createDirectory(at: url(path), withIntermediateDirectories: true)
    }

    func move(_ from: String, _ to: String) throws {
        XCTAssertEqual(rename(url(from).path, url(to).path), 0, "rename \(from) → \(to)")
    }

    func remove(_ path: String) throws {
        try FileManager.default.removeItem(at: url(path))
    }

    /// Waits until every path in `paths` has been reported.
    func waitFor(_ paths: Set<String>, file: StaticString = #filePath, line: UInt = #line) {
        let seen = recorder.wait { batches in paths.isSubset(of: batches.reduce(into: []) { $0.formUnion($1) }) }
        XCTAssertTrue(seen, "never reported: \(paths.subtracting(recorder.paths)); got \(recorder.batches)", file: file, line: line)
    }

    /// Writes a file nothing else touches and waits for it: every event caused before has
    /// been handled by then (inotify keeps order), so a test can assert what did not happen.
    func writeSentinelAndWait(_ name: String = "sentinel.txt", file: StaticString = #filePath, line: UInt = #line) throws {
        try write("sentinel", to: "Frontend/" + name)
        waitFor(["Frontend/" + name], file: file, line: line)
    }
}
