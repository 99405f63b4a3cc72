import Foundation
import XCTest
@testable import Runnel

final class TemplateTests: XCTestCase {
    private func render(_ source: String, _ values: [String: TemplateValue]) throws -> String {
        try Template.parse(source, file: "t.html").render(values)
    }

    private func parseError(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> TemplateError? {
        do {
            _ = try Template.parse(source, file: "Templates/index.html")
            XCTFail("parsed: \(source)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testReplacesNamesAndKeepsEverythingElse() throws {
        XCTAssertEqual(try render("<h1>{{title}}</h1>", ["title": .text("Runnel")]), "<h1>Runnel</h1>")
        XCTAssertEqual(try render("{{ title }}|{{\ttitle\n}}|{{title}}", ["title": .text("x")]), "x|x|x")
        XCTAssertEqual(try render("{{a.b_c9}}{{_x}}", ["a.b_c9": .text("1"), "_x": .text("2")]), "12")
        XCTAssertEqual(try render("no placeholders } { }} é ✓", [:]), "no placeholders } { }} é ✓")
        XCTAssertEqual(try render("", [:]), "")
        XCTAssertEqual(try render("{{a}}", ["a": .text("é ✓ 🙂")]), "é ✓ 🙂")
    }

    func testTextIsHTMLEscaped() throws {
        let hostile = #"<script>alert("x")</script> & 'q'"#
        XCTAssertEqual(
            try render("<p title=\"{{v}}\">{{v}}</p>", ["v": .text(hostile)]),
            "<p title=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;\">"
                + "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;</p>")
    }

    func testJSONIsMadeSafeInsideAScript() throws {
        let json = #"{"m":"</script><!-- a&b > c","s":"\#u{2028}\#u{2029}"}"#
        let page = try render("<script>const c = {{config}};</script>", ["config": .json(json)])
        XCTAssertEqual(
            page,
            #"<script>const c = {"m":"\u003c/script\u003e\u003c!-- a\u0026b \u003e c","s":"\u2028\u2029"};</script>"#)
        // The escapes read back as the original JSON.
        let inner = page.dropFirst("<script>const c = ".count).dropLast(";</script>".count)
        let decoded = try JSONSerialization.jsonObject(with: Data(inner.utf8)) as? [String: String]
        XCTAssertEqual(decoded?["m"], "</script><!-- a&b > c")
        XCTAssertEqual(decoded?["s"], "\u{2028}\u{2029}")
    }

    func testHTMLIsInsertedAsItIs() throws {
        let tag = #"<script src="/__runnel/client.js"></script>"#
        XCTAssertEqual(try render("<body>{{reload}}</body>", ["reload": .html(tag)]), "<body>\(tag)</body>")
    }

    func testUnknownNameIsARenderErrorWithFileAndLine() throws {
        let template = try Template.parse("<html>\n<head>\n<title>{{ titel }}</title>", file: "Templates/index.html")
        XCTAssertThrowsError(try template.render(["title": .text("x")])) { error in
            let error = error as? TemplateError
            XCTAssertEqual(error?.file, "Templates/index.html")
            XCTAssertEqual(error?.line, 3)
            XCTAssertEqual(error?.message.contains("titel"), true)
            XCTAssertEqual(error?.description, """
                Templates/index.html:3:8: unknown name 'titel' in '{{titel}}'
                  3 | <title>{{ titel }}</title>
                    |        ^
                """)
        }
    }

    func testLinesCountAcrossMultiLinePlaceholders() throws {
        let template = try Template.parse("{{\na\n}}\n\n{{b}}", file: "f")
        XCTAssertThrowsError(try template.render(["a": .text("")])) { error in
            XCTAssertEqual((error as? TemplateError)?.line, 5)
        }
    }

    func testUnclosedBracesAreAParseError() {
        let error = parseError("<p>\n{{title</p>\n")
        XCTAssertEqual(error?.line, 2)
        XCTAssertEqual(error?.file, "Templates/index.html")
        XCTAssertEqual(error?.message.contains("never closed"), true)
        XCTAssertEqual(parseError("{{a}} {{")?.line, 1)
        XCTAssertEqual(parseError("{{a}")?.line, 1)
    }

    func testAnUnclosedBraceIsReportedWhereItOpensNotAtALaterClose() {
        // Without the rule, the first '}}' (three lines on) would close it: an "invalid name"
        // holding every line in between.
        let error = parseError("<body>\n\t<p>{{nope</p>\n<div class=\"app\">\n<h1>{{title}}</h1>\n")
        XCTAssertEqual(error?.description, """
            Templates/index.html:2:5: '{{' is never closed by '}}'
              2 | \t<p>{{nope</p>
                | \t   ^
            """)
        XCTAssertEqual(error?.column, 5)
    }

    func testTheExcerptOfALongLineIsTheWindowAroundTheColumn() {
        let error = parseError(String(repeating: "x", count: 300) + "{{" + String(repeating: "y", count: 300))
        let lines = error?.excerpt.split(separator: "\n") ?? []
        XCTAssertEqual(lines.count, 2)
        XCTAssertLessThanOrEqual(lines.first?.count ?? 0, TemplateError.excerptWidth + 8)
        XCTAssertEqual(error?.column, 301)
        let caret = lines.last.flatMap { $0.firstIndex(of: "^") }.map { lines.last!.distance(from: lines.last!.startIndex, to: $0) }
        let brace = lines.first.flatMap { $0.range(of: "{{") }.map { lines.first!.distance(from: lines.first!.startIndex, to: $0.lowerBound) }
        XCTAssertEqual(caret, brace, "the caret is under the '{{'")
    }

    func testEmptyAndInvalidNamesAreParseErrors() {
        XCTAssertEqual(parseError("{{}}")?.message.contains("empty"), true)
        XCTAssertEqual(parseError("\n{{   }}")?.line, 2)
        for bad in ["{{9lives}}", "{{a b}}", "{{a-b}}", "{{.a}}", "{{{a}}}", "{{é}}", "{{a|upper}}"] {
            let error = parseError(bad)
            XCTAssertEqual(error?.message.contains("invalid name"), true, bad)
        }
        XCTAssertEqual(parseError("{{a {{b}}")?.message, "'{{' is never closed by '}}'", "the first '{{' is the mistake")
    }

    func testNamesListsEachPlaceholderOnce() throws {
        XCTAssertEqual(try Template.parse("{{a}}{{b}}{{a}}", file: "f").names, ["a", "b"])
    }
}
