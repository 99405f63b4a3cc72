import XCTest
@testable import ChatBackends

final class MockTokenizerTests: XCTestCase {
    func testPiecesJoinBackToTheText() {
        let text = "## Title\n\nSome **bold** `code` and extraordinarily long words, 日本語テキスト 🙂🙂 done.\n```swift\nlet x = 1\n```\n"
        let pieces = MockTokenizer.pieces(of: text)
        XCTAssertEqual(pieces.joined(), text)
        XCTAssertFalse(pieces.contains(""))
    }

    func testWordsSpacesAndPunctuation() {
        XCTAssertEqual(MockTokenizer.pieces(of: "Hello, streaming world!"),
                       ["Hello", ",", " strea", "ming", " world", "!"])
        XCTAssertEqual(MockTokenizer.pieces(of: "```json"), ["```", "json"])
    }
}
