@testable import HTTPServer
import XCTest

final class RequestParserTests: XCTestCase {
    private let limits = RequestHeadParser.Limits(maxRequestLine: 8192, maxHeaderBytes: 16384, maxHeaderCount: 100)

    /// Feeds `input` in pieces of `step` bytes and collects every event; `maxBodySize` is
    /// the body limit the connection would set after each head.
    private func events(_ input: String, step: Int = .max, maxBodySize: Int = .max) throws -> [RequestParser.Event] {
        var parser = RequestParser(limits: limits)
        var buffer = ByteBuffer()
        var events: [RequestParser.Event] = []
        let bytes = Array(input.utf8)
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(step, 1))
            buffer.append(Array(bytes[offset..<end]))
            offset = end
            while let event = try parser.next(&buffer) {
                events.append(event)
                if case .head = event { parser.limitBody(to: maxBodySize) }
            }
        } while offset < bytes.count
        return events
    }

    /// Body pieces merged, so different splits compare equal.
    private func normalised(_ events: [RequestParser.Event]) -> [RequestParser.Event] {
        var result: [RequestParser.Event] = []
        for event in events {
            if case .body(let piece) = event, case .body(let previous)? = result.last {
                result[result.count - 1] = .body(previous + piece)
            } else {
                result.append(event)
            }
        }
        return result
    }

    func testSimpleGet() throws {
        let events = try events("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
        guard case .head(let head) = events.first else { return XCTFail("no head") }
        XCTAssertEqual(head.method, .get)
        XCTAssertEqual(head.path, "/a")
        XCTAssertEqual(head.query, "b=1")
        XCTAssertEqual(head.headers["host"], "x")
        XCTAssertEqual(events.last, .end)
    }

    func testEverySplitGivesTheSameEvents() throws {
        let input = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: t\r\n\r\n"
            + "GET / HTTP/1.0\r\n\r\n"
        let whole = normalised(try events(input))
        XCTAssertEqual(whole.count, 8)
        for step in [1, 2, 3, 7, 13] {
            XCTAssertEqual(normalised(try events(input, step: step)), whole, "split every \(step) bytes")
        }
        XCTAssertEqual(whole[1], .body(Array("hello".utf8)))
        XCTAssertEqual(whole[4], .body(Array("abcde".utf8)))
    }

    func testManyPipelinedRequestsInOneBuffer() throws {
        let input = (0..<50).map { "GET /\($0) HTTP/1.1\r\nHost: h\r\n\r\n" }.joined()
        let heads = try events(input).compactMap { event -> String? in
            if case .head(let head) = event { return head.target } else { return nil }
        }
        XCTAssertEqual(heads, (0..<50).map { "/\($0)" })
    }

    func testIgnoresLeadingEmptyLines() throws {
        XCTAssertEqual(try events("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").count, 2)
        let most = String(repeating: "\r\n", count: ServerConfiguration.maxLeadingEmptyLines)
        for step in [1, 3, .max] {
            XCTAssertEqual(try events(most + "GET / HTTP/1.1\r\nHost: h\r\n\r\n", step: step).count, 2)
        }
    }

    func testConsumesLeadingEmptyLinesAndBoundsThem() throws {
        var parser = RequestParser(limits: limits)
        var buffer = ByteBuffer(Array("\r\n\r\n\r".utf8))
        XCTAssertNil(try parser.next(&buffer))
        XCTAssertEqual(buffer.readableCount, 1, "the empty lines are gone, the lone CR waits for its LF")
        let tooMany = String(repeating: "\r\n", count: ServerConfiguration.maxLeadingEmptyLines + 1)
        assertRejected(tooMany, 400, "endless empty lines")
        assertRejected(tooMany + "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400, "too many empty lines before a request")
    }

    func testChunkSizesAgainstTheBodyLimitAndOverflow() throws {
        let chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        XCTAssertThrowsError(try events(chunked + "fffffffffffffff\r\n", maxBodySize: 1024)) { error in
            XCTAssertEqual((error as? HTTPError)?.status, .contentTooLarge, "refused on the size line")
        }
        XCTAssertThrowsError(try events(chunked + "200\r\n\(String(repeating: "a", count: 512))\r\n201\r\n", maxBodySize: 1024)) { error in
            XCTAssertEqual((error as? HTTPError)?.status, .contentTooLarge, "the chunks together exceed the limit")
        }
        XCTAssertEqual(try events(chunked + "0000000000000000003\r\nabc\r\n0\r\n\r\n", maxBodySize: 3).count, 3, "leading zeros are fine")
        assertRejected(chunked + "10000000000000000\r\n", 400, "2^64 overflows")
        assertRejected(chunked + "8000000000000000\r\n", 400, "2^63 overflows Int")
    }

    func testTrailersAreCountedAndBounded() throws {
        let chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n"
        let most = (0..<ServerConfiguration.maxTrailerFields).map { "X-\($0): y\r\n" }.joined()
        XCTAssertEqual(try events(chunked + most + "\r\n").last, .end)
        assertRejected(chunked + most + "X-Last: y\r\n", 431, "one trailer field too many")
        let big = "X-Big: \(String(repeating: "b", count: 1000))\r\n"
        assertRejected(chunked + String(repeating: big, count: ServerConfiguration.maxTrailerBytes / big.utf8.count + 1), 431, "trailer section too large")
    }

    private func assertRejected(_ input: String, _ status: Int, _ note: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try events(input), note, file: file, line: line) { error in
            XCTAssertEqual((error as? HTTPError)?.status.code, status, "\(note): \(error)", file: file, line: line)
        }
    }

    func testRejectsMalformedAndAmbiguousRequests() {
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "CL + TE")
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, "differing CL")
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n", 400, "differing CL list")
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400, "negative CL")
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400, "obs-fold")
        assertRejected("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, "bare CR")
        assertRejected("GET / HTTP/1.1\nHost: h\n\n", 400, "bare LF")
        assertRejected("GET / HTTP/1.1\r\n\r\n", 400, "missing Host")
        assertRejected("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Hosts")
        assertRejected("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, "space before colon")
        assertRejected("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, "HTTP/2.0")
        assertRejected("GET noslash HTTP/1.1\r\nHost: h\r\n\r\n", 400, "relative target")
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unknown coding")
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad chunk size")
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400, "chunk without CRLF")
        assertRejected("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 400, "chunk size overflow")
    }

    func testLimits() {
        assertRejected("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\n", 414, "long request line")
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "a", count: 17000))\r\n\r\n", 431, "big header")
        let hundred = (0..<99).map { "X-\($0): v\r\n" }.joined()
        XCTAssertNoThrow(try events("GET / HTTP/1.1\r\nHost: h\r\n\(hundred)\r\n"), "100 fields are fine")
        assertRejected("GET / HTTP/1.1\r\nHost: h\r\n\(hundred)X-Last: v\r\n\r\n", 431, "101 fields")
    }

    func testKeepAliveRules() throws {
        func head(_ text: String) throws -> RequestHead {
            guard case .head(let head)? = try events(text).first else { throw HTTPError.bad("no head") }
            return head
        }
        XCTAssertTrue(try head("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keepAlive)
        XCTAssertFalse(try head("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keepAlive)
        XCTAssertFalse(try head("GET / HTTP/1.0\r\n\r\n").keepAlive)
        XCTAssertTrue(try head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive)
    }
}
