import XCTest
@testable import ChatBackends

final class MockCommandTests: XCTestCase {
    func testPlainMessage() {
        XCTAssertEqual(MockCommand(parsing: "hello there"), MockCommand(kind: .reply, slow: false, text: "hello there"))
    }

    func testCommandsAndTheirText() {
        XCTAssertEqual(MockCommand(parsing: "/error").kind, .error)
        XCTAssertEqual(MockCommand(parsing: "  /error-mid now").kind, .errorMidStream)
        XCTAssertEqual(MockCommand(parsing: "/json the inventory"), MockCommand(kind: .json, slow: false, text: "the inventory"))
        XCTAssertEqual(MockCommand(parsing: "/HANG").kind, .hang)
        XCTAssertEqual(MockCommand(parsing: "/html").kind, .html)
        XCTAssertEqual(MockCommand(parsing: "/help").kind, .help)
    }

    func testLongCounts() {
        XCTAssertEqual(MockCommand(parsing: "/long 42 about cats"), MockCommand(kind: .long(words: 42), slow: false, text: "about cats"))
        XCTAssertEqual(MockCommand(parsing: "/long").kind, .long(words: 2000))
        XCTAssertEqual(MockCommand(parsing: "/long cats").kind, .long(words: 2000))
        XCTAssertEqual(MockCommand(parsing: "/long 999999999").kind, .long(words: MockCommand.maxLongWords))
    }

    func testSlowModifiesAnotherCommand() {
        XCTAssertEqual(MockCommand(parsing: "/slow /long 5"), MockCommand(kind: .long(words: 5), slow: true, text: ""))
        XCTAssertEqual(MockCommand(parsing: "/slow why?"), MockCommand(kind: .reply, slow: true, text: "why?"))
    }

    func testUnknownCommandIsAMessage() {
        XCTAssertEqual(MockCommand(parsing: "/usr/bin is a path"), MockCommand(kind: .reply, slow: false, text: "/usr/bin is a path"))
    }
}
