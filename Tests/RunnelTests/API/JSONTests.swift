import Foundation
@testable import Runnel
import XCTest

final class JSONTests: XCTestCase {
    func testEscapesAndRoundTripsThroughAParser() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{0} line-sep \u{2028} para \u{2029} emoji 👋🏽 世界"
        let json = JSON.object([("s", .string(tricky)), ("n", .int(-42)), ("b", .bool(true)), ("z", .null), ("a", .array([.int(1), .raw("{\"x\":[]}")]))])
        let text = json.text
        XCTAssertFalse(text.contains("\n"), "one line, always: an SSE data line")
        XCTAssertFalse(text.contains("\u{2028}"))
        XCTAssertTrue(text.contains("\\u2028") && text.contains("\\u2029") && text.contains("\\u0007") && text.contains("\\u0000"))
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(parsed["s"] as? String, tricky)
        XCTAssertEqual(parsed["n"] as? Int, -42)
        XCTAssertEqual(parsed["b"] as? Bool, true)
        XCTAssertTrue(parsed["z"] is NSNull)
        XCTAssertEqual(((parsed["a"] as? [Any])?.last as? [String: Any])?["x"] as? [Int], [])
    }

    func testFieldOrderIsKept() {
        XCTAssertEqual(JSON.object([("end", .bool(true)), ("full_response", .string("a"))]).text, #"{"end":true,"full_response":"a"}"#)
    }
}
