import HTTPServer
import XCTest

final class ServerSentEventTests: XCTestCase {
    func testSingleLine() {
        XCTAssertEqual(String(decoding: ServerSentEvent.data(#"{"a":1}"#), as: UTF8.self), "data: {\"a\":1}\n\n")
    }

    func testEveryLineBecomesADataField() {
        XCTAssertEqual(String(decoding: ServerSentEvent.data("a\nb\r\nc\rd"), as: UTF8.self), "data: a\ndata: b\ndata: c\ndata: d\n\n")
    }

    func testNamedEventAndComment() {
        XCTAssertEqual(String(decoding: ServerSentEvent.data("x", event: "ping"), as: UTF8.self), "event: ping\ndata: x\n\n")
        XCTAssertEqual(String(decoding: ServerSentEvent.comment("ping"), as: UTF8.self), ": ping\n\n")
        XCTAssertEqual(String(decoding: ServerSentEvent.comment("a\nb"), as: UTF8.self), ": a b\n\n")
    }
}
