import HTTPServer
import XCTest

final class HTTPHeadersTests: XCTestCase {
    func testCaseInsensitiveLookupAndReplacement() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain"]
        XCTAssertEqual(headers["content-TYPE"], "text/plain")
        headers.add("Set-Cookie", "a=1")
        headers.add("set-cookie", "b=2")
        XCTAssertEqual(headers.values("SET-COOKIE"), ["a=1", "b=2"])
        headers["Set-Cookie"] = "c=3"
        XCTAssertEqual(headers.values("set-cookie"), ["c=3"])
        headers["Content-Type"] = nil
        XCTAssertNil(headers["Content-Type"])
    }

    func testTokenLists() {
        let headers: HTTPHeaders = ["Connection": "Keep-Alive, Upgrade"]
        XCTAssertTrue(headers.contains("connection", token: "keep-alive"))
        XCTAssertTrue(headers.contains("Connection", token: "upgrade"))
        XCTAssertFalse(headers.contains("Connection", token: "close"))
    }
}
