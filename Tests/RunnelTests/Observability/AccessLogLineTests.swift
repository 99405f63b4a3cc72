import Foundation
import HTTPServer
@testable import Runnel
import XCTest

final class AccessLogLineTests: XCTestCase {
    private let entry = AccessLogEntry(
        method: "GET", target: "/x\u{1B}[31mred\u{9B}2J\\?token=secret-value&b=\u{7}", status: 200, bytes: 12, duration: .milliseconds(3),
        peer: "127.0.0.1",
        fields: [("request_id", "abc"), ("client", "198.51.100.1"), ("backend", "mock"), ("outcome", "completed\u{1B}]0;t\u{7}")])

    func testNoControlCharacterOrEscapeSequenceReachesTheTerminal() {
        for line in [AccessLogLine.text(entry), AccessLogLine.json(entry)] {
            XCTAssertFalse(line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, line)
            XCTAssertFalse(line.contains("secret-value"), line)
        }
        XCTAssertEqual(AccessLogLine.escaped("\u{1B}[31m"), "\\x1b[31m")
        XCTAssertEqual(AccessLogLine.escaped("a\\b"), "a\\\\b", "a backslash is escaped too, so an escape in the log is never ambiguous")
        XCTAssertEqual(AccessLogLine.escaped("é ✓"), "é ✓")
    }

    func testTheTextLine() {
        XCTAssertEqual(AccessLogLine.text(entry),
                       "GET /x\\x1b[31mred\\x9b2J\\\\?token=REDACTED&b=\\x07 200 12B 3.0ms request_id=abc client=198.51.100.1 backend=mock outcome=completed\\x1b]0;t\\x07")
    }

    func testTheJSONLine() throws {
        let line = AccessLogLine.json(entry, at: Date(timeIntervalSince1970: 1_700_000_000.25))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["time"] as? String, "2023-11-14T22:13:20.250Z")
        XCTAssertEqual(object["request_id"] as? String, "abc")
        XCTAssertEqual(object["method"] as? String, "GET")
        XCTAssertEqual(object["path"] as? String, "/x\\x1b[31mred\\x9b2J\\\\?token=REDACTED&b=\\x07")
        XCTAssertEqual(object["status"] as? Int, 200)
        XCTAssertEqual(object["bytes"] as? Int, 12)
        XCTAssertEqual(object["duration_ms"] as? Double, 3)
        XCTAssertEqual(object["client"] as? String, "198.51.100.1")
        XCTAssertEqual(object["backend"] as? String, "mock")
        let plain = AccessLogLine.json(AccessLogEntry(method: "GET", target: "/", status: 404, bytes: 0, duration: .zero, peer: "::1"))
        let bare = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plain.utf8)) as? [String: Any])
        XCTAssertEqual(bare["client"] as? String, "::1", "the peer when the handler named no client")
        XCTAssertTrue(bare["backend"] is NSNull)
        XCTAssertTrue(bare["request_id"] is NSNull)
    }
}
