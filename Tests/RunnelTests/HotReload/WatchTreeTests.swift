import CSystem
import Foundation
import XCTest
@testable import Runnel

/// The event translation without the thread: raw events in, paths out.
final class WatchTreeTests: WatcherTestCase {
    func testParsesPackedEventsWithPaddedNames() {
        var bytes: [UInt8] = []
        func append(_ descriptor: Int32, _ mask: UInt32, _ name: String, padTo length: Int) {
            withUnsafeBytes(of: descriptor.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: mask.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: UInt32(0)) { bytes += $0 }
            withUnsafeBytes(of: UInt32(length).littleEndian) { bytes += $0 }
            bytes += Array(name.utf8) + [UInt8](repeating: 0, count: length - name.utf8.count)
        }
        append(1, UInt32(IN_CLOSE_WRITE), "style.css", padTo: 16)
        append(2, UInt32(IN_IGNORED), "", padTo: 0)
        append(3, UInt32(IN_CREATE | IN_ISDIR), "é", padTo: 4)
        let events = WatchLoop.events(in: bytes[...])
        XCTAssertEqual(events.map(\.descriptor), [1, 2, 3])
        XCTAssertEqual(events.map(\.name), ["style.css", "", "é"])
        XCTAssertEqual(events.map(\.mask), [UInt32(IN_CLOSE_WRITE), UInt32(IN_IGNORED), UInt32(IN_CREATE | IN_ISDIR)])
    }

    func testQueueOverflowReportsEveryRootAndKeepsWatching() throws {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        try makeFolder("Frontend/css")
        let tree = try WatchTree(fd: fd, base: base.path, roots: ["Frontend", "Templates"])

        var changes: Set<String> = []
        tree.handle(.init(descriptor: -1, mask: UInt32(IN_Q_OVERFLOW), name: ""), into: &changes)
        XCTAssertEqual(changes, ["Frontend", "Templates"])

        try write("x", to: "Frontend/css/after.css")
        changes = []
        let deadline = ContinuousClock.now + .seconds(5)
        while !changes.contains("Frontend/css/after.css"), ContinuousClock.now < deadline {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 5000) == 1 else { break }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            for event in WatchLoop.events(in: buffer[0..<count]) { tree.handle(event, into: &changes) }
        }
        XCTAssertTrue(changes.contains("Frontend/css/after.css"), "\(changes)")
        XCTAssertTrue(tree.takeErrors().isEmpty)
    }
}
