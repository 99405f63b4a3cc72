import HTTPServer
@testable import Runnel
import XCTest

final class ClientIdentityTests: XCTestCase {
    private let proxies = [try! CIDR(parsing: "10.0.0.0/8"), try! CIDR(parsing: "fd00::/8")]

    private func identity(peer: String, _ headers: HTTPHeaders = [:]) -> ClientIdentity {
        ClientIdentity.of(Request(head: RequestHead(method: .get, target: "/", headers: headers), peer: peer), trustedProxies: proxies)
    }

    func testAnUntrustedPeerIsTheClientWhateverItClaims() {
        let forged = identity(peer: "203.0.113.5", ["X-Forwarded-For": "198.51.100.1", "X-Request-Id": "chosen-by-client"])
        XCTAssertEqual(forged.client, "203.0.113.5")
        XCTAssertFalse(forged.viaProxy)
        XCTAssertNotEqual(forged.requestID, "chosen-by-client")
        XCTAssertTrue(ReplyID.isValid(forged.requestID))
    }

    func testATrustedProxyNamesTheClient() {
        let proxied = identity(peer: "10.0.0.2", ["X-Forwarded-For": "198.51.100.1", "X-Request-Id": "4f1c0a9e7b2d4c3a9e8f7a6b5c4d3e2f"])
        XCTAssertEqual(proxied.client, "198.51.100.1")
        XCTAssertTrue(proxied.viaProxy)
        XCTAssertEqual(proxied.requestID, "4f1c0a9e7b2d4c3a9e8f7a6b5c4d3e2f")
        XCTAssertEqual(identity(peer: "fd00::7", ["X-Forwarded-For": "2001:DB8::1"]).client, "2001:db8::1")
        XCTAssertEqual(identity(peer: "10.0.0.2").client, "10.0.0.2", "no header: the proxy itself")
    }

    func testTheChainIsReadFromTheRightPastTrustedHops() {
        // The client forged the first entry; the first proxy appended the real address.
        XCTAssertEqual(identity(peer: "10.0.0.2", ["X-Forwarded-For": "1.1.1.1, 198.51.100.1, 10.9.9.9"]).client, "198.51.100.1")
        XCTAssertEqual(identity(peer: "10.0.0.2", ["X-Forwarded-For": "1.1.1.1", "x-forwarded-for": "198.51.100.1"]).client, "198.51.100.1",
                       "several fields are one list, in order")
        XCTAssertEqual(identity(peer: "10.0.0.2", ["X-Forwarded-For": "1.1.1.1, not-an-address"]).client, "10.0.0.2",
                       "a malformed entry ends the walk at the hop before it")
        XCTAssertEqual(identity(peer: "10.0.0.2", ["X-Forwarded-For": "198.51.100.1:4711"]).client, "10.0.0.2")
        XCTAssertEqual(identity(peer: "10.0.0.2", ["X-Forwarded-For": "\u{1B}[31m"]).client, "10.0.0.2")
    }

    func testMalformedRequestIDsFromTheProxyAreReplaced() {
        for id in ["", String(repeating: "a", count: 129), "has space", "semi;colon", "\u{1B}[31m"] {
            let made = identity(peer: "10.0.0.2", ["X-Request-Id": id]).requestID
            XCTAssertNotEqual(made, id)
            XCTAssertTrue(ReplyID.isValid(made))
        }
    }
}
