import Foundation
import XCTest

/// The UI's budget (issue [ui]): HTML + JS + CSS ≤ 72 KB (about 26 KB gzip'd, as served), and
/// no request leaves the origin. It was 60 KB before markdown rendered while streaming (~5 KB:
/// `BlockStream` and the open-block preview) and code was highlighted (`highlight.js`, ~9 KB for
/// eleven language families, where a vendored highlight.js with those languages is over 100 KB).
final class UIBudgetTests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func uiFiles() throws -> [URL] {
        let frontend = repository.appendingPathComponent("Frontend")
        let names = try FileManager.default.contentsOfDirectory(atPath: frontend.path)
        return [repository.appendingPathComponent("Templates/index.html")]
            + names.filter { $0.hasSuffix(".js") || $0.hasSuffix(".css") }.map { frontend.appendingPathComponent($0) }
    }

    func testWholeUIWithinSeventyTwoKilobytes() throws {
        let total = try uiFiles().reduce(0) { $0 + (try Data(contentsOf: $1)).count }
        print("UI size: \(total) bytes")
        XCTAssertLessThanOrEqual(total, 72 * 1024)
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
