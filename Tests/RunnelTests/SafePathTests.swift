import XCTest
@testable import Runnel

final class SafePathTests: XCTestCase {
    private func assertPath(
        _ urlPath: String, _ expected: Result<String, SafePathError>, _ why: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(SafePath.relativePath(fromURLPath: urlPath), expected, "\(urlPath) \(why)", file: file, line: line)
    }

    func testOrdinaryPaths() {
        assertPath("/app.js", .success("app.js"))
        assertPath("/css/site.css", .success("css/site.css"))
        assertPath("/app.js?v=3&x=..", .success("app.js"))
        assertPath("/app.js#top", .success("app.js"))
        assertPath("/my%20file.txt", .success("my file.txt"))
        assertPath("/caf%C3%A9.png", .success("café.png"))
        assertPath("/a+b.js", .success("a+b.js"), "+ is literal in a path")
        assertPath("/file.name.with.dots.js", .success("file.name.with.dots.js"))
        assertPath("/..js", .failure(.notFound), "a dotfile, not a parent")
    }

    func testRootIsLeftToTheCaller() {
        assertPath("/", .success(""))
        assertPath("/?q=1", .success(""))
    }

    func testTraversalIsRejectedInEveryEncoding() {
        assertPath("/../etc/passwd", .failure(.badRequest))
        assertPath("/css/../../secret", .failure(.badRequest))
        assertPath("/%2e%2e/etc/passwd", .failure(.badRequest))
        assertPath("/%2E%2E/etc/passwd", .failure(.badRequest))
        assertPath("/..%2fetc%2fpasswd", .failure(.badRequest))
        assertPath("/css%2f..%2f..%2fsecret", .failure(.badRequest))
        assertPath("/..", .failure(.badRequest))
    }

    func testDoubleEncodingDecodesOnlyOnce() {
        // `%252e%252e` decodes to the literal name `%2e%2e`: a (missing) file, not a parent.
        assertPath("/%252e%252e/secret", .success("%2e%2e/secret"))
        assertPath("/%252e%252e%252fsecret", .success("%2e%2e%2fsecret"))
    }

    func testMalformedInputIsABadRequest() {
        assertPath("/a%00.js", .failure(.badRequest))
        assertPath("/a%2", .failure(.badRequest))
        assertPath("/a%zz", .failure(.badRequest))
        assertPath("/a%", .failure(.badRequest))
        assertPath("/%ff%fe.js", .failure(.badRequest), "not UTF-8")
        assertPath("/..\\secret", .failure(.badRequest))
        assertPath("/css%5csite.css", .failure(.badRequest), "an encoded backslash")
        assertPath("app.js", .failure(.badRequest), "not origin-form")
        assertPath("", .failure(.badRequest))
    }

    func testDotfilesAndEmptySegmentsAreNotFound() {
        assertPath("/.env", .failure(.notFound))
        assertPath("/.git/config", .failure(.notFound))
        assertPath("/%2egit/config", .failure(.notFound))
        assertPath("/css/.hidden.css", .failure(.notFound))
        assertPath("/./app.js", .failure(.notFound))
        assertPath("//app.js", .failure(.notFound))
        assertPath("/css/", .failure(.notFound), "directories are not served")
        assertPath("/css//site.css", .failure(.notFound))
    }

    func testPathsLongerThanAnyFileAreNotFound() {
        let longest = "/" + String(repeating: "a", count: SafePath.maxPathBytes)
        assertPath(longest, .success(String(longest.dropFirst())))
        assertPath(longest + "a", .failure(.notFound))
        assertPath("/" + String(repeating: "%61", count: SafePath.maxPathBytes), .success(String(longest.dropFirst())), "the decoded length counts")
    }

    func testSegmentsAreCheckedWholeAndAsBytes() {
        assertPath("/a..b/c.d/...", .failure(.notFound), "'...' is a dotfile name, not a parent")
        assertPath("/a..b/é/x", .success("a..b/é/x"))
        // As Characters, "/" and a combining mark after it are one grapheme, which hid the
        // separator; the file system splits on the byte.
        assertPath("/../\u{301}x", .failure(.badRequest))
    }
}
