import Foundation
import XCTest
@testable import Runnel

final class FileWatcherTests: WatcherTestCase {
    func testWritingAFileReportsItsPath() throws {
        try startWatching()
        try write("body{}", to: "Frontend/style.css")
        waitFor(["Frontend/style.css"])
        try write("<html></html>", to: "Templates/index.html")
        waitFor(["Templates/index.html"])
    }

    func testOneBurstIsOneCallbackAboutTheWindowAfterTheFirstChange() throws {
        // A long window, so two back-to-back writes cannot straddle it on a busy machine.
        try startWatching(coalesce: .milliseconds(300))
        let start = ContinuousClock.now
        try write("a", to: "Frontend/a.css")
        try write("b", to: "Frontend/b.css")
        waitFor(["Frontend/a.css", "Frontend/b.css"])
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(recorder.batches, [["Frontend/a.css", "Frontend/b.css"]])
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(300), "reported before the window closed")
        XCTAssertLessThan(elapsed, .seconds(3))
    }

    func testDefaultWindowKeepsLatencyLow() throws {
        try startWatching()
        let start = ContinuousClock.now
        try write("x", to: "Frontend/fast.css")
        waitFor(["Frontend/fast.css"])
        // 20 ms window; generous bound for a loaded CI machine.
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(1000))
    }

    func testVimRenameOnSaveReportsTheFinalPath() throws {
        try startWatching()
        // vim: probe the folder with 4913, move the original to a backup, write anew, drop the backup.
        try write("", to: "Frontend/4913")
        try remove("Frontend/4913")
        try write("swap", to: "Frontend/.app.js.swp")
        try move("Frontend/app.js", "Frontend/app.js~")
        try write("new", to: "Frontend/app.js")
        try remove("Frontend/app.js~")
        try remove("Frontend/.app.js.swp")
        try writeSentinelAndWait()
        XCTAssertEqual(recorder.paths, ["Frontend/app.js", "Frontend/sentinel.txt"])
    }

    func testJetBrainsSafeWriteReportsTheFinalPath() throws {
        try startWatching()
        try write("new", to: "Frontend/app.js___jb_tmp___")
        try move("Frontend/app.js", "Frontend/app.js___jb_old___")
        try move("Frontend/app.js___jb_tmp___", "Frontend/app.js")
        try remove("Frontend/app.js___jb_old___")
        try writeSentinelAndWait()
        XCTAssertEqual(recorder.paths, ["Frontend/app.js", "Frontend/sentinel.txt"])
    }

    func testAtomicWriteThroughATemporaryFileReportsTheFinalPath() throws {
        try startWatching()
        try Data("atomic".utf8).write(to: url("Templates/index.html"), options: .atomic)
        try write("tmp", to: "Templates/index.html.tmp")
        try move("Templates/index.html.tmp", "Templates/index.html")
        try writeSentinelAndWait()
        XCTAssertEqual(recorder.paths, ["Templates/index.html", "Frontend/sentinel.txt"])
    }

    func testSwapBackupAndDotFilesAloneReportNothing() throws {
        try startWatching()
        for name in [".style.css.swp", ".style.css.swx", "style.css~", "4913", "upload.tmp", "a.js___jb_tmp___",
                     "a.js___jb_old___", "#notes.txt#", ".env", ".DS_Store"] {
            try write("noise", to: "Frontend/" + name)
        }
        try makeFolder("Frontend/.git")
        try write("[core]", to: "Frontend/.git/config")
        try write("still noise", to: "Frontend/.git/config")
        try writeSentinelAndWait()
        XCTAssertEqual(recorder.batches, [["Frontend/sentinel.txt"]], "the real change arrives alone")
    }

    func testAHundredSavesInARowAreAllReportedInFewerCallbacks() throws {
        try startWatching()
        let paths = Set((0..<100).map { "Frontend/file\($0).js" })
        for path in paths { try write("save", to: path) }
        for _ in 0..<100 { try write("again", to: "Frontend/app.js") }
        waitFor(paths.union(["Frontend/app.js"]))
        XCTAssertLessThan(recorder.batches.count, 100, "coalesced")
        XCTAssertFalse(recorder.batches.contains { $0.isEmpty })
    }

    func testDeletionsAreReported() throws {
        try startWatching()
        try remove("Frontend/app.js")
        waitFor(["Frontend/app.js"])
    }

    func testMissingAndInvalidFoldersThrow() {
        XCTAssertThrowsError(try FileWatcher(base: base, folders: ["Frontend", "Missing"]) { _ in }) { error in
            XCTAssertEqual(error as? FileWatcherError, .missingFolder(base.appending(path: "Missing").path))
        }
        XCTAssertThrowsError(try FileWatcher(base: base, folders: ["Frontend/app.js"]) { _ in }) { error in
            XCTAssertEqual(error as? FileWatcherError, .missingFolder(base.appending(path: "Frontend/app.js").path))
        }
        for folder in ["../etc", "/etc", "", "Frontend/./x"] {
            XCTAssertThrowsError(try FileWatcher(base: base, folders: [folder]) { _ in }) { error in
                XCTAssertEqual(error as? FileWatcherError, .invalidFolder(folder))
            }
        }
        XCTAssertTrue(FileWatcherError.watchLimitReached("/x").description.contains("max_user_watches"))
    }

    func testStopEndsCallbacksAndClosesDescriptors() throws {
        let before = try openInotifyDescriptors()
        try startWatching()
        XCTAssertEqual(try openInotifyDescriptors(), before + 1)
        watcher?.stop()
        watcher?.stop()
        XCTAssertEqual(try openInotifyDescriptors(), before)

        // A second watcher sees the change: by then the stopped one would have too.
        let witness = ChangeRecorder()
        let other = try FileWatcher(base: base, folders: ["Frontend"]) { witness.record($0) }
        defer { other.stop() }
        try write("after stop", to: "Frontend/app.js")
        XCTAssertTrue(witness.wait { !$0.isEmpty })
        XCTAssertEqual(recorder.batches, [])
    }

    func testStopFromInsideTheCallbackAndReleaseWithoutStop() throws {
        let before = try openInotifyDescriptors()
        let box = WatcherBox()
        let recorder = self.recorder!
        box.watcher = try FileWatcher(base: base, folders: ["Frontend"]) { paths in
            recorder.record(paths)
            box.watcher?.stop()
        }
        try write("one", to: "Frontend/app.js")
        XCTAssertTrue(recorder.wait { $0.count == 1 })
        // Stopped from its own thread it could not wait for itself; from here it joins.
        box.watcher?.stop()
        XCTAssertEqual(try openInotifyDescriptors(), before, "the thread closed its descriptors")
        box.watcher = nil

        var dropped: FileWatcher? = try FileWatcher(base: base, folders: ["Frontend"]) { _ in }
        XCTAssertEqual(try openInotifyDescriptors(), before + 1)
        dropped = nil
        XCTAssertNil(dropped)
        XCTAssertEqual(try openInotifyDescriptors(), before, "deinit stops and joins")
    }

    private func openInotifyDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter { entry in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry)) == "anon_inode:inotify"
        }.count
    }
}

// @unchecked: the test writes it only while no callback can run (before the first change,
// after the watcher stopped); the callback only reads it.
private final class WatcherBox: @unchecked Sendable {
    var watcher: FileWatcher?
}
