import XCTest
final class HTTPServerPlaceholderTests: XCTestCase { func testBuilds() {} }
