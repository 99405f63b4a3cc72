import Foundation
import XCTest
@testable import ChatBackends

final class HTTP1ResponseParserTests: XCTestCase {
    struct Parsed: Equatable {
        var head: HTTP1ResponseParser.Head?
        var body = ""
        var complete = false
        var reusable = false
    }

    /// `response` fed in pieces cut at `cuts` (byte offsets), then ended by a close if `closeAtEnd`.
    func parse(_ response: String, cuts: [Int] = [], closeAtEnd: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws -> Parsed {
        var parser = HTTP1ResponseParser()
        var parsed = Parsed()
        let bytes = Array(response.utf8)
        var start = 0
        var body = Data()
        for end in cuts.filter({ $0 > 0 && $0 < bytes.count }) + [bytes.count] {
            let output = try parser.feed(Array(bytes[start..<end]))
            if let head = output.head {
                XCTAssertNil(parsed.head, "two heads", file: file, line: line)
                parsed.head = head
            }
            body += output.body
            start = end
        }
        if closeAtEnd { try parser.finishAtClose() }
        parsed.body = String(decoding: body, as: UTF8.self)
        parsed.complete = parser.isComplete
        parsed.reusable = parser.isReusable
        return parsed
    }

    let chunked = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "d\r\ndata: hello\n\n\r\n" + "12;ext=1\r\ndata: wörld🙂\n\n\r\n" + "0\r\nX-Trailer: 1\r\n\r\n"

    func testChunkedSplitAtEveryByteBoundaryGivesTheSameResult() throws {
        let whole = try parse(chunked)
        XCTAssertEqual(whole.head?.status, 200)
        XCTAssertEqual(whole.head?.headers["content-type"], "text/event-stream")
        XCTAssertEqual(whole.body, "data: hello\n\ndata: wörld🙂\n\n")
        XCTAssertTrue(whole.complete && whole.reusable)
        let count = chunked.utf8.count
        for cut in 1..<count {
            XCTAssertEqual(try parse(chunked, cuts: [cut]), whole, "cut at \(cut)")
        }
        XCTAssertEqual(try parse(chunked, cuts: Array(1..<count)), whole, "one byte at a time")
    }

    func testContentLengthSplitAtEveryByteBoundary() throws {
        let response = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"
        for cut in 0..<response.utf8.count {
            let parsed = try parse(response, cuts: [cut])
            XCTAssertEqual(parsed.body, "hello world")
            XCTAssertTrue(parsed.complete && parsed.reusable, "cut at \(cut)")
        }
        XCTAssertEqual(try parse(response, cuts: Array(1..<response.utf8.count)).body, "hello world")
    }

    func testBodyUntilCloseEndsWithTheConnectionAndIsNotReusable() throws {
        let response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: a\n\ndata: b\n\n"
        let open = try parse(response, cuts: [10, 60])
        XCTAssertEqual(open.body, "data: a\n\ndata: b\n\n")
        XCTAssertFalse(open.complete)
        let closed = try parse(response, cuts: [10, 60], closeAtEnd: true)
        XCTAssertTrue(closed.complete)
        XCTAssertFalse(closed.reusable)
    }

    func testCloseMidBodyOrBeforeTheHeadIsAnError() {
        XCTAssertThrowsError(try parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", closeAtEnd: true))
        XCTAssertThrowsError(try parse(chunked.replacingOccurrences(of: "0\r\nX-Trailer: 1\r\n\r\n", with: ""), closeAtEnd: true))
        XCTAssertThrowsError(try parse("", closeAtEnd: true))
    }

    func testInterimResponsesAreSkippedAndBareLineFeedsAccepted() throws {
        let parsed = try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\nContent-Length: 2\n\nok", cuts: [5, 27])
        XCTAssertEqual(parsed.head?.status, 201)
        XCTAssertEqual(parsed.body, "ok")
        XCTAssertTrue(parsed.reusable)
    }

    func testReuseFollowsVersionConnectionAndWhatFollows() throws {
        XCTAssertFalse(try parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").reusable)
        XCTAssertFalse(try parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").reusable)
        XCTAssertTrue(try parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").reusable)
        XCTAssertFalse(try parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA").reusable, "bytes after the end")
        XCTAssertFalse(try parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n").reusable)
        let noBody = try parse("HTTP/1.1 204 No Content\r\n\r\n")
        XCTAssertTrue(noBody.complete && noBody.reusable)
    }

    func testRepeatedFieldsAreJoined() throws {
        let parsed = try parse("HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a:  2 \r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(parsed.head?.headers["x-a"], "1, 2")
    }

    func testMalformedResponsesAreErrors() {
        let bad = [
            "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "ICY 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Header : x\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nok\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n", "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        ]
        for response in bad {
            XCTAssertThrowsError(try parse(response), response.debugDescription)
        }
        let huge = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: HTTP1ResponseParser.maxHeadBytes) + "\r\n\r\n"
        XCTAssertThrowsError(try parse(huge))
    }
}
