import XCTest
@testable import ChatBackends

final class JSONExtractorTests: XCTestCase {
    func testJSONFenceWinsOverEarlierBracesAndOtherFences() {
        let text = """
        Some {"early": true} text.
        ```swift
        [1, 2]
        ```
        ```json
        {
          "name": "Runnel",
          "tags": ["a", "b"]
        }
        ```
        """
        XCTAssertEqual(JSONExtractor.firstJSON(in: text), #"{"name":"Runnel","tags":["a","b"]}"#)
    }

    func testJSONFenceMayHoldAScalar() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: "```json\n\"just a string\"\n```"), #""just a string""#)
        XCTAssertEqual(JSONExtractor.firstJSON(in: "```JSON\n42\n```"), "42")
    }

    func testInvalidJSONFenceFallsBackToOtherFence() {
        let text = "```json\n{ nope }\n```\n\n```\n[{\"ok\": 1}]\n```"
        XCTAssertEqual(JSONExtractor.firstJSON(in: text), #"[{"ok":1}]"#)
    }

    func testOtherFenceWithScalarIsNotJSON() {
        XCTAssertNil(JSONExtractor.firstJSON(in: "```text\n42\n```"))
    }

    func testIndentedTildeAndCRLFFences() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: "1. item\r\n    ~~~json\r\n    {\"a\": 1}\r\n    ~~~\r\n"), #"{"a":1}"#)
    }

    func testUnclosedJSONFenceAtEndOfText() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: "Here:\n```json\n{\"cut\": false}\n"), #"{"cut":false}"#)
    }

    func testBalancedBracesWithBracesAndEscapedQuotesInStrings() {
        let text = #"The answer is {"code": "if (a) { b(\"}\") }", "n": [1, {"x": "]"}]} as shown."#
        XCTAssertEqual(JSONExtractor.firstJSON(in: text), #"{"code":"if (a) { b(\"}\") }","n":[1,{"x":"]"}]}"#)
    }

    func testWhitespaceInsideStringsIsKept() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: "{ \"a b\" : \" c  d \" }"), #"{"a b":" c  d "}"#)
    }

    func testKeyOrderAndNumberSpellingAreKept() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: #"{"z": 1.0, "a": 1e3, "m": 12345678901234567890}"#),
                       #"{"z":1.0,"a":1e3,"m":12345678901234567890}"#)
    }

    func testInvalidCandidatesAreSkippedThenAValidOneFound() {
        let text = "JS: {a: 1}, broken {\"x\": } and then [\"good\", {\"y\": null}] end"
        XCTAssertEqual(JSONExtractor.firstJSON(in: text), #"["good",{"y":null}]"#)
    }

    func testValidJSONNestedInsideInvalidOuterBraces() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: #"{ outer: {"inner": true} }"#), #"{"inner":true}"#)
    }

    func testMismatchedAndUnclosedBrackets() {
        XCTAssertNil(JSONExtractor.firstJSON(in: "{ ] and { still open"))
        XCTAssertEqual(JSONExtractor.firstJSON(in: "[ { ] then {\"k\": []}"), #"{"k":[]}"#)
    }

    func testQuoteInProseBeforeTheJSON() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: #"He typed "{" then {"a":1}"#), #"{"a":1}"#)
    }

    func testArraysAndUnicode() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: "Liste: [ \"é\", \"日本\", \"🙂\" ]."), #"["é","日本","🙂"]"#)
    }

    func testBracketsInsideCodeCountWhenTheyAreJSON() {
        XCTAssertEqual(JSONExtractor.firstJSON(in: "```swift\nlet x = [1, 2].map { $0 }\n```"), "[1,2]")
    }

    func testNoJSON() {
        XCTAssertNil(JSONExtractor.firstJSON(in: ""))
        XCTAssertNil(JSONExtractor.firstJSON(in: "Plain prose with no brackets at all."))
        XCTAssertNil(JSONExtractor.firstJSON(in: "```swift\nlet x = names.map { $0.count }\n```"))
    }

    func testManyUnclosedBracketsStayWithinBudget() {
        let text = String(repeating: "{", count: 50_000) + #" {"a": 1}"#
        let start = ContinuousClock.now
        _ = JSONExtractor.firstJSON(in: text)
        XCTAssertLessThan(millisecondsSince(start), 10_000)
    }

    /// Found by the fuzzer (Tests/Fuzz/FuzzJSONExtraction): a NUL made Foundation read an
    /// empty document as valid, and the extractor returned "".
    func testControlCharactersAreNotJSON() {
        XCTAssertNil(JSONExtractor.firstJSON(in: "\u{0}```json\n\n\u{0}2\u{0}o"))
        XCTAssertFalse(JSONBytes.parses(Array("{\"a\":\u{1}1}".utf8)))
        XCTAssertEqual(JSONExtractor.firstJSON(in: "```json\n{\"a\": 1}\n```"), "{\"a\":1}")
    }
}
