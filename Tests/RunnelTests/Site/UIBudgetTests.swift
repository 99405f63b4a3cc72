import Foundation
import XCTest

/// The UI's budget (issue [ui]): HTML + JS + CSS ≤ 108 KB (about 36 KB gzip'd, as served), and
/// no request leaves the origin. It was 60 KB before markdown rendered while streaming (~5 KB:
/// `BlockStream` and the open-block preview) and code was highlighted (`highlight.js`, ~9 KB for
/// eleven language families, where a vendored highlight.js with those languages is over 100 KB);
/// 72 KB before conversations (~35 KB: the sidebar, branches with edit and resend, settings,
/// export and import, the token estimate, `$…$` math parsing and the lazy KaTeX loader).
///
/// Only the top folder's files count: `inspector/` (dev mode only) and `vendor/` (KaTeX, fetched
/// the first time a reply holds math) load on demand, not with the chat.
final class UIBudgetTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func uiFiles() throws -> [URL] {
        let frontend = repository.appendingPathComponent("Frontend")
        let names = try FileManager.default.contentsOfDirectory(atPath: frontend.path)
        return [repository.appendingPathComponent("Templates/index.html")]
            + names.filter { $0.hasSuffix(".js") || $0.hasSuffix(".css") }.map { frontend.appendingPathComponent($0) }
    }

    func testWholeUIWithinBudget() throws {
        let files = try uiFiles()
        XCTAssertFalse(files.contains { $0.path.contains("/vendor/") || $0.path.contains("/inspector/") })
        let total = try files.reduce(0) { $0 + (try Data(contentsOf: $1)).count }
        print("UI size: \(total) bytes")
        XCTAssertLessThanOrEqual(total, 108 * 1024)
    }

    func testNoExternalReferences() throws {
        for file in try uiFiles() {
            let text = try String(contentsOf: file, encoding: .utf8)
            for pattern in ["src=\"http", "href=\"http", "@import url(http", "fetch(\"http", "url(http", "//cdn", "fonts.googleapis"] {
                XCTAssertFalse(text.contains(pattern), "\(file.lastPathComponent) refers outside the origin: \(pattern)")
            }
        }
    }
}
