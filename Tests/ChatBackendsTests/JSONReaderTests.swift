import Foundation
import XCTest
@testable import ChatBackends

final class JSONReaderTests: XCTestCase {
    /// The whole text read as a generic value tree, so one helper checks every kind.
    indirect enum Value: Equatable {
        case object([String: Value]), array([Value]), string(String), number(Int), bool(Bool), null
    }

    static func value(_ json: inout JSONReader) throws -> Value {
        switch try json.peek() {
        case .object:
            var members: [String: Value] = [:]
            try json.readObject { key, json in members[key] = try value(&json) }
            return .object(members)
        case .array:
            var elements: [Value] = []
            try json.readArray { json in elements.append(try value(&json)) }
            return .array(elements)
        case .string: return .string(try json.readString()!)
        case .number: return .number(try json.readInt()!)
        case .bool: return .bool(try json.readBool()!)
        case .null:
            XCTAssertNil(try json.readString())
            return .null
        }
    }

    func read(_ text: String) throws -> Value {
        try JSONReader.read(text) { try Self.value(&$0) }
    }

    func assertInvalid(_ text: String, _ why: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try JSONReader.read(text) { try $0.skipValue() }, file: file, line: line) { error in
            let failure = error as? JSONReader.Failure
            XCTAssertNotNil(failure, file: file, line: line)
            XCTAssertTrue(failure?.message.contains(why) == true, "\(failure?.description ?? "-") for \(text)", file: file, line: line)
        }
    }

    // MARK: - Valid

    func testValuesOfEveryKind() throws {
        XCTAssertEqual(try read(#" {"a": [1, -2, 0, true, false, null, "x"], "b": {}, "c": [], "": 3e2} "#), .object([
            "a": .array([.number(1), .number(-2), .number(0), .bool(true), .bool(false), .null, .string("x")]),
            "b": .object([:]), "c": .array([]), "": .number(300),
        ]))
        XCTAssertEqual(try read("\t\r\n42\n"), .number(42))
        XCTAssertEqual(try read(#""top""#), .string("top"))
    }

    func testReadsOnlyWhatIsAskedAndChecksTheRest() throws {
        let text = #"{"skip": {"deep": [1, 2.5e-3, {"x": "\u00e9"}]}, "want": "yes", "later": [null]}"#
        let wanted = try JSONReader.read(text) { json in
            var wanted: String?
            try json.readObject { key, json in
                if key == "want" { wanted = try json.readString() }
            }
            return wanted
        }
        XCTAssertEqual(wanted, "yes")
        // An unread member is still checked.
        XCTAssertThrowsError(try JSONReader.read(#"{"skip": [1,], "want": "yes"}"#) { json in
            try json.readObject { _, _ in }
        })
    }

    func testFirstElementReadsEveryElementAndKeepsTheFirst() throws {
        XCTAssertEqual(try JSONReader.read("[1, 2, 3]") { try $0.readFirstElement { try $0.readInt() } }, 1)
        XCTAssertEqual(try JSONReader.read("[]") { try $0.readFirstElement { try $0.readInt() } }, nil)
        XCTAssertThrowsError(try JSONReader.read(#"[1, "two"]"#) { try $0.readFirstElement { try $0.readInt() } })
    }

    func testNullReadsAsAbsent() throws {
        try JSONReader.read(#"{"s": null, "i": null, "b": null, "o": null, "a": null}"#) { json in
            try json.readObject { key, json in
                switch key {
                case "s": XCTAssertNil(try json.readString())
                case "i": XCTAssertNil(try json.readInt())
                case "b": XCTAssertNil(try json.readBool())
                case "o": XCTAssertFalse(try json.readObject { _, _ in })
                default: XCTAssertFalse(try json.readArray { _ in })
                }
            }
        }
    }

    func testIntegers() throws {
        XCTAssertEqual(try read("9223372036854775807"), .number(Int.max))
        XCTAssertEqual(try read("-9223372036854775808"), .number(Int.min))
        XCTAssertEqual(try read("1E3"), .number(1000))
        XCTAssertEqual(try read("2.0"), .number(2))
        XCTAssertEqual(try read("-0"), .number(0))
        XCTAssertThrowsError(try read("9223372036854775808"))  // a valid number, not an Int
        XCTAssertThrowsError(try read("1.5"))
    }

    // MARK: - Strings

    func testEscapes() throws {
        XCTAssertEqual(try read(#""a\"b\\c\/d\be\ff\ng\rh\ti""#), .string("a\"b\\c/d\u{8}e\u{C}f\ng\rh\ti"))
        XCTAssertEqual(try read(#""\u0041\u00e9\u65E5\u0000""#), .string("Aé日\u{0}"))
        XCTAssertEqual(try read(#"{"k\u0065y": 1}"#), .object(["key": .number(1)]))
    }

    func testStringsWrittenByJSONBytesReadBack() throws {
        for text in ["plain", "q\"b\\s/", "lines\n\r\t", "\u{0}\u{1}\u{1F}", "wörld 🙂 日本", ""] {
            var bytes: [UInt8] = []
            JSONBytes.appendString(text, to: &bytes)
            XCTAssertEqual(try bytes.withUnsafeBytes { try JSONReader.read($0) { try $0.readString() } }, text)
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? String)
        }
    }

    func testSurrogatePairs() throws {
        XCTAssertEqual(try read(#""\ud83d\ude42 \uD834\uDD1E""#), .string("🙂 𝄞"))
        assertInvalid(#""\ud83d""#, "unpaired high surrogate")
        assertInvalid(#""\ud83d\u0041""#, "unpaired high surrogate")
        assertInvalid(#""\ud83dx\ude42""#, "unpaired high surrogate")
        assertInvalid(#""\ude42""#, "unpaired low surrogate")
    }

    func testUTF8() throws {
        XCTAssertEqual(try read("\"wörld 🙂 日本\""), .string("wörld 🙂 日本"))
        let bad: [[UInt8]] = [
            [0xC3],              // cut short
            [0xC0, 0xAF],        // overlong
            [0xED, 0xA0, 0x80],  // a surrogate
            [0xF4, 0x90, 0x80, 0x80],  // past U+10FFFF
            [0x80],              // a lone continuation byte
        ]
        for sequence in bad {
            let bytes = [UInt8(ascii: "\"")] + sequence + [UInt8(ascii: "\"")]
            XCTAssertThrowsError(try bytes.withUnsafeBytes { try JSONReader.read($0) { try $0.skipValue() } }, "\(sequence)") { error in
                XCTAssertEqual((error as? JSONReader.Failure)?.message, "invalid UTF-8 in a string")
            }
        }
    }

    // MARK: - Invalid

    func testInvalidGrammar() {
        assertInvalid("", "unexpected end")
        assertInvalid("   ", "unexpected end")
        assertInvalid("{", "expected a member name")
        assertInvalid(#"{"a" 1}"#, "expected ':'")
        assertInvalid(#"{"a": 1,}"#, "expected a member name")
        assertInvalid(#"{a: 1}"#, "expected a member name")
        assertInvalid("[1 2]", "expected ',' or ']'")
        assertInvalid("[1,]", "expected a value")
        assertInvalid("[1", "expected ',' or ']'")
        assertInvalid("{} {}", "unexpected bytes after the value")
        assertInvalid("tru", "invalid literal")
        assertInvalid("nul", "invalid literal")
        assertInvalid("True", "expected a value")
        assertInvalid("'x'", "expected a value")
        assertInvalid("/* no */ 1", "expected a value")
    }

    func testInvalidNumbers() {
        for text in ["01", "-", "+1", ".5", "1.", "1e", "1e+", "-a", "0x10", "1.5.5", "NaN", "Infinity"] {
            XCTAssertThrowsError(try JSONReader.read(text) { try $0.skipValue() }, text)
        }
    }

    func testInvalidStrings() {
        assertInvalid(#""abc"#, "unterminated string")
        assertInvalid("\"a\nb\"", "unescaped control character")
        assertInvalid("\"a\u{1}b\"", "unescaped control character")
        assertInvalid(#""\x""#, "invalid escape")
        assertInvalid(#""\u12G4""#, #"invalid \u escape"#)
        assertInvalid(#""\u12""#, #"invalid \u escape"#)
        assertInvalid(#""\"#, "unterminated escape")
    }

    func testWrongTypeIsAFailure() {
        XCTAssertThrowsError(try JSONReader.read(#"{"a": 1}"#) { json in
            try json.readObject { _, json in _ = try json.readString() }
        }) { error in XCTAssertEqual((error as? JSONReader.Failure)?.message, "expected a string") }
        XCTAssertThrowsError(try JSONReader.read("[]") { try $0.readObject { _, _ in } })
        XCTAssertThrowsError(try JSONReader.read(#""1""#) { try $0.readInt() })
        XCTAssertThrowsError(try JSONReader.read("1") { try $0.readBool() })
    }

    // MARK: - Nesting

    func testNestingUpToTheLimitIsRead() throws {
        let depth = JSONReader.maxDepth
        let text = String(repeating: "[", count: depth - 1) + #"{"a":1}"# + String(repeating: "]", count: depth - 1)
        XCTAssertNoThrow(try read(text))
        XCTAssertNoThrow(try JSONReader.read(text) { try $0.skipValue() })
    }

    func testNestingPastTheLimitIsRefused() {
        let depth = JSONReader.maxDepth + 1
        assertInvalid(String(repeating: "[", count: depth) + String(repeating: "]", count: depth), "nested deeper than")
        assertInvalid(String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth), "nested deeper than")
        // Far deeper input fails as fast, without recursing further.
        assertInvalid(String(repeating: "[", count: 100_000), "nested deeper than")
    }

    func testFailureNamesTheOffset() {
        XCTAssertThrowsError(try JSONReader.read("[1, x]") { try $0.skipValue() }) { error in
            XCTAssertEqual((error as? JSONReader.Failure)?.offset, 4)
        }
    }
}
