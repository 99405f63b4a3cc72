import XCTest
final class ChatBackendsPlaceholderTests: XCTestCase { func testBuilds() {} }
