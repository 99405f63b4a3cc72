import Foundation
import XCTest
@testable import Runnel

final class FileWatcherFolderTests: WatcherTestCase {
    func testExistingSubfoldersAreWatched() throws {
        try makeFolder("Frontend/css/themes")
        try startWatching()
        try write("dark", to: "Frontend/css/themes/dark.css")
        waitFor(["Frontend/css/themes/dark.css"])
    }

    func testNewSubfolderThenAFileInIt() throws {
        try startWatching()
        try makeFolder("Frontend/sub")
        try write("a", to: "Frontend/sub/a.css")
        waitFor(["Frontend/sub/a.css"])
        // Created in one go, faster than a watch can be added: found by the scan instead.
        try makeFolder("Frontend/x/y/z")
        try write("f", to: "Frontend/x/y/z/f.js")
        waitFor(["Frontend/x/y/z/f.js"])
        let seen = recorder.batches.count
        try write("again", to: "Frontend/x/y/z/f.js")
        XCTAssertTrue(recorder.wait { $0.count > seen && $0[seen...].contains { $0.contains("Frontend/x/y/z/f.js") } })
    }

    func testFolderDeletedThenRecreated() throws {
        try makeFolder("Frontend/sub")
        try write("a", to: "Frontend/sub/a.css")
        try startWatching()
        try remove("Frontend/sub")
        waitFor(["Frontend/sub"])
        try makeFolder("Frontend/sub")
        try write("b", to: "Frontend/sub/b.css")
        waitFor(["Frontend/sub/b.css"])
        let seen = recorder.batches.count
        try write("b2", to: "Frontend/sub/b.css")
        XCTAssertTrue(recorder.wait { $0.count > seen && $0[seen...].contains { $0.contains("Frontend/sub/b.css") } })
    }

    func testRootFolderDeletedThenRecreated() throws {
        try startWatching()
        try remove("Templates")
        waitFor(["Templates"])
        try makeFolder("Templates")
        try write("<p>back</p>", to: "Templates/index.html")
        waitFor(["Templates/index.html"])
        let seen = recorder.batches.count
        try write("<p>again</p>", to: "Templates/index.html")
        XCTAssertTrue(recorder.wait { $0.count > seen && $0[seen...].contains { $0.contains("Templates/index.html") } })
    }

    func testFolderMovedInIsWatchedWithItsFiles() throws {
        try makeFolder("outside/pack/deep")
        try write("p", to: "outside/pack/deep/p.css")
        try startWatching()
        try move("outside/pack", "Frontend/pack")
        waitFor(["Frontend/pack/deep/p.css"])
        try write("q", to: "Frontend/pack/deep/q.css")
        waitFor(["Frontend/pack/deep/q.css"])
    }

    func testFolderRenamedWithinTheTreeReportsItsNewPaths() throws {
        try makeFolder("Frontend/old/inner")
        try startWatching()
        try move("Frontend/old", "Frontend/new")
        waitFor(["Frontend/old"])
        try write("n", to: "Frontend/new/inner/n.css")
        waitFor(["Frontend/new/inner/n.css"])
        XCTAssertFalse(recorder.paths.contains("Frontend/old/inner/n.css"), "no stale folder names")
    }

    func testFolderMovedOutIsNoLongerReported() throws {
        try makeFolder("Frontend/leaving")
        try makeFolder("outside")
        try startWatching()
        try move("Frontend/leaving", "outside/left")
        waitFor(["Frontend/leaving"])
        try write("gone", to: "outside/left/x.css")
        try writeSentinelAndWait()
        XCTAssertFalse(recorder.paths.contains { $0.hasSuffix("x.css") }, "\(recorder.paths)")
    }

    func testDotFoldersAreNotWatched() throws {
        try makeFolder("Frontend/.cache")
        try startWatching()
        try write("x", to: "Frontend/.cache/x.js")
        try makeFolder("Frontend/.new")
        try write("y", to: "Frontend/.new/y.js")
        try writeSentinelAndWait()
        XCTAssertEqual(recorder.paths, ["Frontend/sentinel.txt"])
    }

    func testFilesBesideTheRootsAreNotReported() throws {
        try startWatching()
        try write("not watched", to: "README.md")
        try makeFolder("Other")
        try write("no", to: "Other/a.css")
        try writeSentinelAndWait()
        XCTAssertEqual(recorder.paths, ["Frontend/sentinel.txt"])
    }
}
