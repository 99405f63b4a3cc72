import Foundation
import HTTPServer
@testable import Runnel
import TestSupport
import XCTest

/// Static files over real sockets in dev mode (README "Modes").
final class StaticFilesTests: XCTestCase {
    private var fixture: SiteFixture!
    private var port = 0

    override func setUpWithError() throws {
        fixture = try SiteFixture()
        let root = fixture.root.path
        (_, port) = try startRunnel { $0.forceEmbedded = false; $0.root = root; $0.hotReload = false }
    }

    override func tearDown() { fixture.remove() }

    private func get(_ target: String, _ headers: [String: String] = [:], method: String = "GET") throws -> TestResponse {
        let client = try TestClient(port: port)
        var request = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try client.send(request + "\r\n")
        return try client.readResponse(head: method == "HEAD")
    }

    func testTraversalNeverServesAnythingOutsideTheRoot() throws {
        let attempts = [
            "/../secret.txt", "/%2e%2e/secret.txt", "/%252e%252e/secret.txt", "/..%2fsecret.txt", "/..%2Fsecret.txt",
            "/app.js%00.txt", "/..\\secret.txt", "/%5c..%5csecret.txt", "/escape.txt", "/.env", "/.git/config",
            "/%2eenv", "/.%65nv", "//etc/passwd", "/Frontend/../../secret.txt",
        ]
        for target in attempts {
            let response = try get(target)
            XCTAssertTrue([400, 404].contains(response.status), "\(target) → \(response.status)")
            for secret in ["outside the root", "sk-secret", "[core] secret"] {
                XCTAssertFalse(response.text.contains(secret), "\(target) leaked a file")
            }
        }
    }

    func testGzipRoundTripETagsAndConditionalRequests() throws {
        let plain = try get("/app.js")
        XCTAssertEqual(plain.status, 200)
        XCTAssertEqual(plain.text, SiteFixture.appJS)
        XCTAssertNil(plain.header("Content-Encoding"))
        XCTAssertEqual(plain.header("Content-Type"), "text/javascript; charset=utf-8")
        XCTAssertEqual(plain.header("Vary"), "Accept-Encoding")
        XCTAssertEqual(plain.header("Cache-Control"), "no-cache")

        let packed = try get("/app.js", ["Accept-Encoding": "br, gzip;q=0.8"])
        XCTAssertEqual(packed.header("Content-Encoding"), "gzip")
        XCTAssertLessThan(packed.body.count, plain.body.count)
        XCTAssertEqual(String(decoding: try Gzip.decompress(packed.body), as: UTF8.self), SiteFixture.appJS)

        let plainTag = try XCTUnwrap(plain.header("ETag"))
        let packedTag = try XCTUnwrap(packed.header("ETag"))
        XCTAssertNotEqual(plainTag, packedTag, "a strong ETag per variant")
        XCTAssertEqual(try get("/app.js", ["If-None-Match": plainTag]).status, 304)
        XCTAssertEqual(try get("/app.js", ["If-None-Match": packedTag, "Accept-Encoding": "gzip"]).status, 304)
        XCTAssertEqual(try get("/app.js", ["If-None-Match": packedTag]).status, 200, "the gzip tag does not validate the plain variant")

        XCTAssertNil(try get("/app.js", ["Accept-Encoding": "gzip;q=0"]).header("Content-Encoding"), "q=0 refuses gzip")
        XCTAssertNil(try get("/app.js", ["Accept-Encoding": "identity"]).header("Content-Encoding"))
        XCTAssertNil(try get("/tiny.txt", ["Accept-Encoding": "gzip"]).header("Content-Encoding"), "small files go plain")
    }

    func testHeadAndContentTypes() throws {
        let head = try get("/style.css", method: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("Content-Type"), "text/css; charset=utf-8")
        XCTAssertEqual(head.header("X-Content-Type-Options"), "nosniff")
        XCTAssertEqual(try get("/nope").header("X-Content-Type-Options"), "nosniff", "error pages too")
        XCTAssertEqual(head.header("Content-Length"), String("body { color: black; }\n".utf8.count))
        XCTAssertEqual(try get("/style.css", method: "POST").status, 405)
    }

    func testIndexIsRenderedAndMissingFilesGetThe404Page() throws {
        let index = try get("/")
        XCTAssertEqual(index.status, 200)
        XCTAssertTrue(index.text.contains("<title>Runnel</title>"))
        XCTAssertTrue(index.text.contains(#"data-mode="dev""#))
        XCTAssertTrue(index.text.contains(#"[{"name":"mock""#), "backends as script-safe JSON")
        XCTAssertFalse(index.text.contains("__runnel/client.js"), "no reload client with --no-reload")
        let missing = try get("/nope.js?x=<b>")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.text.contains("Nothing at /nope.js"), missing.text)
    }

    func testThe404ForALongPathIsSmallAndEchoesOnlyItsStart() throws {
        let path = "/" + String(repeating: "abcdefg/", count: 900)  // 7.2 KB
        let missing = try get(path, ["Accept-Encoding": "gzip"])
        XCTAssertEqual(missing.status, 404)
        XCTAssertNil(missing.header("Content-Encoding"), "an error page is not worth compressing per request")
        XCTAssertFalse(missing.text.contains(path))
        XCTAssertTrue(missing.text.contains(String(path.prefix(Pages.maxEchoedPathLength)) + "…"), missing.text)
        XCTAssertLessThan(missing.body.count, 1024)
    }
}
