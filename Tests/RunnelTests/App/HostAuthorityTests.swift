@testable import Runnel
import XCTest

final class HostAuthorityTests: XCTestCase {
    func testTheThreeHostFormsWithAndWithoutPort() throws {
        let v6 = try XCTUnwrap(HostAuthority("[::1]:8080"))
        XCTAssertEqual(v6.host, "[::1]")
        XCTAssertEqual(v6.kind, .ipLiteral)
        XCTAssertEqual(v6.port, "8080")
        XCTAssertEqual(HostAuthority("127.0.0.1")?.kind, .ipv4)
        XCTAssertNil(HostAuthority("127.0.0.1")?.port)
        XCTAssertEqual(HostAuthority("Example.COM:443")?.kind, .regName)
        XCTAssertEqual(HostAuthority("localhost:")?.port, "", "RFC 3986 allows an empty port")
        XCTAssertEqual(HostAuthority("127.0.0.01")?.kind, .regName, "a leading zero makes it a name, not an IPv4 address")
        XCTAssertEqual(HostAuthority("[v1.fe80::a+b]")?.kind, .ipLiteral, "IPvFuture")
        XCTAssertEqual(HostAuthority("xn--bcher-kva.example")?.host, "xn--bcher-kva.example")
    }

    func testAnythingElseIsMalformed() {
        for value in [
            "[::1]evil.com", "localhost:evil.com", "::1", "[::1", "[::1]:80:80", "[::1]:8o", "[evil.com]", "[::1%25eth0]",
            "local host", "localhost/", "user@localhost", "%zz.example", "[]", "[v1.]", "127.0.0.1:80 ", "é.example",
        ] {
            XCTAssertNil(HostAuthority(value), value)
        }
    }

    func testLoopback() {
        for value in ["localhost", "LOCALHOST:1", "app.localhost", "127.0.0.1", "127.255.1.2:9", "[::1]", "[0:0:0:0:0:0:0:1]:80"] {
            XCTAssertEqual(HostAuthority(value)?.isLoopback, true, value)
        }
        for value in ["127.evil.example", "127.0.0.01", "128.0.0.1", "[::2]", "[::ffff:127.0.0.1]", "localhost.evil.example", ""] {
            XCTAssertEqual(HostAuthority(value)?.isLoopback, false, value)
        }
    }

    func testIPv4IsFourDecOctets() {
        XCTAssertTrue(HostAuthority.isIPv4("0.0.0.0"))
        XCTAssertTrue(HostAuthority.isIPv4("255.255.255.255"))
        for value in ["256.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", "01.2.3.4", "1.2.3.4a", "1234.1.1.1"] {
            XCTAssertFalse(HostAuthority.isIPv4(value), value)
        }
    }

    func testBindAddressesAndShellWords() {
        XCTAssertTrue(SecurityPolicy.isLoopbackBind("::1"))
        XCTAssertTrue(SecurityPolicy.isLoopbackBind("127.0.0.1"))
        XCTAssertFalse(SecurityPolicy.isLoopbackBind("0.0.0.0"))
        XCTAssertFalse(SecurityPolicy.isLoopbackBind("::"))
        XCTAssertEqual(SecurityPolicy.shellWord("evil.example"), "evil.example")
        XCTAssertEqual(SecurityPolicy.shellWord("[2001:db8::1]"), "'[2001:db8::1]'")
        XCTAssertEqual(SecurityPolicy.shellWord("a'$b"), #"'a'\''$b'"#)
    }
}
