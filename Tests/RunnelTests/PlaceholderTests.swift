import XCTest
final class RunnelPlaceholderTests: XCTestCase { func testBuilds() {} }
