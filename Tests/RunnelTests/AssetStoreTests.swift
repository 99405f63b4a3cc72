import Foundation
import HTTPServer
import XCTest
@testable import Runnel

final class AssetStoreTests: XCTestCase {
    private var base: URL!
    private var root: URL!

    override func setUpWithError() throws {
        base = FileManager.default.temporaryDirectory.appending(path: "assetstore-\(UUID().uuidString)")
        root = base.appending(path: "Frontend")
        try FileManager.default.createDirectory(at: root.appending(path: "css"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: base)
    }

    private func write(_ text: String, to path: String, under folder: URL? = nil) throws {
        try Data(text.utf8).write(to: (folder ?? root).appending(path: path))
    }

    func testServesFilesWithTypeAndETag() throws {
        try write("body{}", to: "css/site.css")
        let store = AssetStore(.disk(root: root))
        let asset = try XCTUnwrap(store.asset(at: "css/site.css"))
        XCTAssertEqual(asset.bytes, Array("body{}".utf8))
        XCTAssertEqual(asset.contentType, "text/css; charset=utf-8")
        XCTAssertNil(asset.gzipped, "too small to be worth gzip")
        XCTAssertTrue(asset.etag.wholeMatch(of: /"[0-9a-f]{16}"/) != nil, asset.etag)
        XCTAssertNotEqual(asset.gzipETag, asset.etag)
        XCTAssertTrue(asset.gzipETag.hasPrefix("\"") && asset.gzipETag.hasSuffix("\""))
    }

    func testETagFollowsContent() {
        let one = Asset(path: "a.txt", bytes: Array("one".utf8))
        XCTAssertEqual(one.etag, Asset(path: "b.txt", bytes: Array("one".utf8)).etag)
        XCTAssertNotEqual(one.etag, Asset(path: "a.txt", bytes: Array("two".utf8)).etag)
        XCTAssertEqual(Asset.hexHash([]), "cbf29ce484222325", "FNV-1a 64 offset basis")
        XCTAssertEqual(Asset.hexHash(Array("a".utf8)), "af63dc4c8601ec8c", "FNV-1a 64 reference value")
    }

    func testGzipVariantRoundTripsForCompressibleFilesOnly() throws {
        let css = String(repeating: ".row { display: flex; gap: 8px; }\n", count: 50)
        let asset = Asset(path: "site.css", bytes: Array(css.utf8))
        let gzipped = try XCTUnwrap(asset.gzipped)
        XCTAssertLessThan(gzipped.count, asset.bytes.count)
        XCTAssertEqual(try Gzip.decompress(gzipped), asset.bytes)

        XCTAssertNil(Asset(path: "photo.png", bytes: Array(css.utf8)).gzipped, "images are compressed already")
        XCTAssertNil(Asset(path: "site.css", bytes: Array(css.utf8.prefix(255))).gzipped, "below the threshold")
        XCTAssertNotNil(Asset(path: "site.css", bytes: Array(css.utf8.prefix(256))).gzipped, "at the threshold")
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255) }
        XCTAssertNil(Asset(path: "noise.txt", bytes: noise).gzipped, "kept only when smaller")
    }

    func testMissingFilesDirectoriesAndRootAreNil() throws {
        let store = AssetStore(.disk(root: root))
        XCTAssertNil(store.asset(at: "missing.js"))
        XCTAssertNil(store.asset(at: "css"))
        XCTAssertNil(store.asset(at: ""))
    }

    func testSymlinksStayInsideTheRoot() throws {
        try write("secret", to: "secret.txt", under: base)
        try write("shared", to: "css/shared.css")
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: root.appending(path: "out.txt").path, withDestinationPath: "../secret.txt")
        try manager.createSymbolicLink(atPath: root.appending(path: "abs.txt").path, withDestinationPath: base.appending(path: "secret.txt").path)
        try manager.createSymbolicLink(atPath: root.appending(path: "up").path, withDestinationPath: "..")
        try manager.createSymbolicLink(atPath: root.appending(path: "alias.css").path, withDestinationPath: "css/shared.css")

        let store = AssetStore(.disk(root: root))
        XCTAssertNil(store.asset(at: "out.txt"))
        XCTAssertNil(store.asset(at: "abs.txt"))
        XCTAssertNil(store.asset(at: "up/secret.txt"))
        XCTAssertNil(store.asset(at: "../secret.txt"), "even when a caller skipped SafePath")
        XCTAssertEqual(store.asset(at: "alias.css")?.bytes, Array("shared".utf8), "links inside the root are fine")
    }

    func testRootReachedThroughASymlinkStillServes() throws {
        try write("ok", to: "app.js")
        let link = base.appending(path: "link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: root.path)
        let store = AssetStore(.disk(root: link))
        XCTAssertEqual(store.asset(at: "app.js")?.bytes, Array("ok".utf8))
        XCTAssertNil(store.asset(at: "../secret.txt"))
    }

    func testDiskEntriesAreCachedUntilInvalidated() throws {
        try write("v1", to: "app.js")
        try write("c1", to: "css/site.css")
        let store = AssetStore(.disk(root: root))
        XCTAssertEqual(store.asset(at: "app.js")?.bytes, Array("v1".utf8))
        XCTAssertEqual(store.asset(at: "css/site.css")?.bytes, Array("c1".utf8))

        try write("v2", to: "app.js")
        try write("c2", to: "css/site.css")
        XCTAssertEqual(store.asset(at: "app.js")?.bytes, Array("v1".utf8), "no stat per request")

        store.invalidate(relativePath: "app.js")
        XCTAssertEqual(store.asset(at: "app.js")?.bytes, Array("v2".utf8))
        XCTAssertEqual(store.asset(at: "css/site.css")?.bytes, Array("c1".utf8), "only that file")

        store.invalidate(relativePath: "css")
        XCTAssertEqual(store.asset(at: "css/site.css")?.bytes, Array("c2".utf8), "a folder drops what it holds")

        try write("v3", to: "app.js")
        try FileManager.default.removeItem(at: root.appending(path: "css/site.css"))
        store.invalidateAll()
        XCTAssertEqual(store.asset(at: "app.js")?.bytes, Array("v3".utf8))
        XCTAssertNil(store.asset(at: "css/site.css"))
    }

    func testNewFilesAppearWithoutInvalidation() throws {
        let store = AssetStore(.disk(root: root))
        XCTAssertNil(store.asset(at: "late.js"))
        try write("late", to: "late.js")
        XCTAssertEqual(store.asset(at: "late.js")?.bytes, Array("late".utf8), "misses are not cached")
    }

    func testEmbeddedSourceServesOnlyItsFolder() {
        let files: [String: [UInt8]] = [
            "Frontend/app.js": Array("js".utf8),
            "Frontend/css/site.css": Array("css".utf8),
            "Templates/index.html": Array("html".utf8),
        ]
        let store = AssetStore(.embedded(files, under: "Frontend"))
        XCTAssertEqual(store.asset(at: "app.js")?.bytes, Array("js".utf8))
        XCTAssertEqual(store.asset(at: "css/site.css")?.contentType, "text/css; charset=utf-8")
        XCTAssertNil(store.asset(at: "index.html"))
        XCTAssertNil(store.asset(at: "../Templates/index.html"))
        XCTAssertEqual(AssetStore(.embedded(files)).asset(at: "Templates/index.html")?.bytes, Array("html".utf8))
    }

    func testConcurrentReadersAndInvalidationsAgree() async throws {
        try write("same", to: "app.js")
        let store = AssetStore(.disk(root: root))
        await withTaskGroup(of: [UInt8]?.self) { group in
            for index in 0..<200 {
                group.addTask {
                    if index % 10 == 0 { store.invalidate(relativePath: "app.js") }
                    return store.asset(at: "app.js")?.bytes
                }
            }
            for await bytes in group {
                XCTAssertEqual(bytes, Array("same".utf8))
            }
        }
    }
}
