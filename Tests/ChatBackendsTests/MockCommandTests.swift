import XCTest
@testable import ChatBackends

/// `/slow` and `/long N`, the mock's two commands that are code (everything else is a scenario).
final class MockCommandTests: XCTestCase {
    func testAnyOtherMessageGoesToTheScenarios() {
        XCTAssertEqual(MockCommand(parsing: "hello there"), MockCommand(kind: .scenario, slow: false, text: "hello there"))
        XCTAssertEqual(MockCommand(parsing: "  /error-mid now"), MockCommand(kind: .scenario, slow: false, text: "/error-mid now"))
        XCTAssertEqual(MockCommand(parsing: "/long-think"), MockCommand(kind: .scenario, slow: false, text: "/long-think"))
    }

    func testLongCounts() {
        XCTAssertEqual(MockCommand(parsing: "/long 42 about cats"), MockCommand(kind: .long(words: 42), slow: false, text: "about cats"))
        XCTAssertEqual(MockCommand(parsing: "/long").kind, .long(words: 2000))
        XCTAssertEqual(MockCommand(parsing: "/LONG cats").kind, .long(words: 2000))
        XCTAssertEqual(MockCommand(parsing: "/long 999999999").kind, .long(words: MockCommand.maxLongWords))
    }

    func testSlowModifiesWhatFollows() {
        XCTAssertEqual(MockCommand(parsing: "/slow /long 5"), MockCommand(kind: .long(words: 5), slow: true, text: ""))
        XCTAssertEqual(MockCommand(parsing: "/slow why?"), MockCommand(kind: .scenario, slow: true, text: "why?"))
        XCTAssertEqual(MockCommand(parsing: "/slow /json x"), MockCommand(kind: .scenario, slow: true, text: "/json x"))
    }

    func testUnknownCommandIsAMessage() {
        XCTAssertEqual(MockCommand(parsing: "/usr/bin is a path"), MockCommand(kind: .scenario, slow: false, text: "/usr/bin is a path"))
    }
}
