import XCTest
@testable import Runnel

final class ContentTypeTests: XCTestCase {
    func testEveryServedExtension() {
        let expected = [
            "index.html": "text/html; charset=utf-8",
            "app.js": "text/javascript; charset=utf-8",
            "module.mjs": "text/javascript; charset=utf-8",
            "css/site.css": "text/css; charset=utf-8",
            "data.json": "application/json; charset=utf-8",
            "app.js.map": "application/json; charset=utf-8",
            "logo.svg": "image/svg+xml; charset=utf-8",
            "logo.png": "image/png",
            "photo.jpg": "image/jpeg",
            "photo.jpeg": "image/jpeg",
            "photo.webp": "image/webp",
            "favicon.ico": "image/x-icon",
            "font.woff2": "font/woff2",
            "notes.txt": "text/plain; charset=utf-8",
            "module.wasm": "application/wasm",
        ]
        for (path, type) in expected {
            XCTAssertEqual(ContentType.of(path: path), type, path)
        }
    }

    func testExtensionsAreCaseInsensitiveAndUnknownsAreOpaque() {
        XCTAssertEqual(ContentType.of(path: "INDEX.HTML"), "text/html; charset=utf-8")
        XCTAssertEqual(ContentType.of(path: "archive.tar.gz"), "application/octet-stream")
        XCTAssertEqual(ContentType.of(path: "Makefile"), "application/octet-stream")
        XCTAssertEqual(ContentType.of(path: "dir.css/readme"), "application/octet-stream")
    }

    func testCompressibility() {
        for path in ["a.html", "a.js", "a.mjs", "a.css", "a.json", "a.map", "a.svg", "a.txt", "a.wasm", "a.ico"] {
            XCTAssertTrue(ContentType.isCompressible(ContentType.of(path: path)), path)
        }
        for path in ["a.png", "a.jpg", "a.webp", "a.woff2", "a.bin"] {
            XCTAssertFalse(ContentType.isCompressible(ContentType.of(path: path)), path)
        }
    }
}
