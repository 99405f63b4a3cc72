import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// Every error becomes a response in one place, `ErrorResponses` (README "Errors"): the
/// routes only throw. So an error of any route carries the security headers and the
/// request id, and its body is the one its kind of path gets: the 404 page, the error
/// page with the hot-reload client, JSON on the API, text otherwise.
final class ErrorResponsesTests: XCTestCase {
    private var fixture: SiteFixture!
    private var port = 0

    override func setUpWithError() throws {
        fixture = try SiteFixture()
        let root = fixture.root.path
        (_, port) = try startRunnel { $0.forceEmbedded = false; $0.root = root; $0.hotReload = true }
    }

    override func tearDown() { fixture.remove() }

    private func get(_ target: String, method: String = "GET") throws -> TestResponse {
        let client = try TestClient(port: port)
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n")
        return try client.readResponse()
    }

    /// What every answer of the one place carries, and an HTML one besides.
    private func assertFromTheOnePlace(_ response: TestResponse, html: Bool, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.header("X-Content-Type-Options"), "nosniff", file: file, line: line)
        XCTAssertNotNil(response.header("X-Request-Id"), "the security policy saw it", file: file, line: line)
        XCTAssertEqual(response.header("Content-Security-Policy"), html ? SecurityHeaders.contentSecurityPolicy : nil, file: file, line: line)
        XCTAssertEqual(response.header("Content-Type"), html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8", file: file, line: line)
    }

    func testA404OnAPagePathIsThe404PageAndOnTheAPIJSON() throws {
        let page = try get("/no/such/<page>")
        XCTAssertEqual(page.status, 404)
        assertFromTheOnePlace(page, html: true)
        XCTAssertEqual(page.header("Cache-Control"), "no-cache")
        XCTAssertNil(page.header("Content-Encoding"))
        XCTAssertNil(page.header("ETag"))
        XCTAssertTrue(page.text.contains("Nothing at /no/such/&lt;page&gt;"), page.text)
        XCTAssertTrue(page.text.contains(ReloadClient.scriptTag), "a dev page reloads: \(page.text)")

        let api = try get("/api/no/such")
        XCTAssertEqual(api.status, 404)
        XCTAssertEqual(api.header("Content-Type"), "application/json")
        let error = try XCTUnwrap(api.json?["error"] as? [String: Any], api.text)
        XCTAssertEqual(error["code"] as? String, "not_found")
        XCTAssertEqual(error["message"] as? String, "no route or file at /api/no/such")
    }

    func testA404PageWhoseTemplateFailsFallsBackToText() throws {
        try fixture.write("Templates/404.html", "<h1>Nothing at {{nope}}</h1>")
        let missing = try get("/gone")
        XCTAssertEqual(missing.status, 404)
        assertFromTheOnePlace(missing, html: false)
        XCTAssertEqual(missing.text, "no route or file at /gone\n")
    }

    func testAnInspectorTemplateErrorIsTheErrorPage() throws {
        try fixture.write("Templates/inspector.html", "<!doctype html>\n<b>{{nope}}</b>\n")
        let page = try get("/__runnel/inspector")
        XCTAssertEqual(page.status, 500)
        assertFromTheOnePlace(page, html: true)
        XCTAssertEqual(page.header("Cache-Control"), "no-cache")
        XCTAssertTrue(page.text.contains("<pre>Runnel: template error\n\nTemplates/inspector.html:2:4: "), page.text)
        XCTAssertTrue(page.text.contains("&lt;b&gt;{{nope}}&lt;/b&gt;"), "the quoted line, escaped: \(page.text)")
        XCTAssertFalse(page.text.contains("<b>"), page.text)
        XCTAssertTrue(page.text.hasSuffix("</pre>\n" + ReloadClient.scriptTag), "reloads once fixed: \(page.text)")
    }

    func testOtherErrorsOnAPagePathStayText() throws {
        let refused = try get("/style.css", method: "POST")
        XCTAssertEqual(refused.status, 405)
        assertFromTheOnePlace(refused, html: false)
        XCTAssertEqual(refused.header("Allow"), "GET, HEAD")
        XCTAssertEqual(refused.text, "POST is not allowed on /style.css\n")
    }
}
