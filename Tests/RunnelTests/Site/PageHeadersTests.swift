import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// Pages carry a Content-Security-Policy that allows only our own files, and the real
/// templates hold nothing that policy would block (inline scripts, styles or handlers).
final class PageHeadersTests: XCTestCase {
    private let package = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func get(_ port: Int, _ target: String) throws -> TestResponse {
        let client = try TestClient(port: port)
        try client.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: identity\r\n\r\n")
        return try client.readResponse()
    }

    private func assertPageHeaders(_ response: TestResponse, file: StaticString = #filePath, line: UInt = #line) {
        let policy = response.header("Content-Security-Policy") ?? ""
        for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"] {
            XCTAssertTrue(policy.contains(directive), "\(directive) in \(policy)", file: file, line: line)
        }
        XCTAssertFalse(policy.contains("unsafe-inline") || policy.contains("unsafe-eval"), policy, file: file, line: line)
        XCTAssertEqual(response.header("Referrer-Policy"), "no-referrer", file: file, line: line)
        XCTAssertEqual(response.header("X-Content-Type-Options"), "nosniff", file: file, line: line)
    }

    /// What `script-src 'self'; style-src 'self'` would block: a `<script>` without `src`
    /// that is not a JSON data block, a `style` attribute or element, an `on…=` handler.
    private func assertNothingInline(_ html: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let scripts = try NSRegularExpression(pattern: "<script\\b([^>]*)>", options: [.caseInsensitive])
        let range = NSRange(html.startIndex..., in: html)
        for match in scripts.matches(in: html, range: range) {
            let attributes = String(html[Range(match.range(at: 1), in: html)!])
            XCTAssertTrue(attributes.contains("src=") || attributes.contains("type=\"application/json\""),
                          "inline script: <script\(attributes)>", file: file, line: line)
        }
        let inlineStyleOrHandler = try NSRegularExpression(pattern: "<style\\b|<[^>]*\\s(style|on[a-z]+)\\s*=", options: [.caseInsensitive])
        XCTAssertEqual(inlineStyleOrHandler.numberOfMatches(in: html, range: range), 0, "inline style or handler in:\n\(html)", file: file, line: line)
    }

    func testDevPagesWithTheReloadClientHaveThePolicyAndNothingInline() throws {
        let root = package.path
        let (_, port) = try startRunnel { $0.forceEmbedded = false; $0.root = root; $0.hotReload = true }
        let index = try get(port, "/")
        XCTAssertEqual(index.status, 200)
        assertPageHeaders(index)
        XCTAssertTrue(index.text.contains("<script src=\"\(ReloadClient.path)\"></script>"), "the reload client is a file")
        try assertNothingInline(index.text)
        let missing = try get(port, "/no/such/page")
        XCTAssertEqual(missing.status, 404)
        assertPageHeaders(missing)
        try assertNothingInline(missing.text)
    }

    func testEmbeddedPagesHaveThePolicyAndFilesDoNotNeedIt() throws {
        let (_, port) = try startRunnel()
        assertPageHeaders(try get(port, "/"))
        assertPageHeaders(try get(port, "/missing"))
        let script = try get(port, "/app.js")
        XCTAssertEqual(script.header("X-Content-Type-Options"), "nosniff")
        XCTAssertNil(script.header("Content-Security-Policy"), "a policy only means something on a document")
    }
}
