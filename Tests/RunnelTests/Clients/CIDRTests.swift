@testable import Runnel
import XCTest

final class CIDRTests: XCTestCase {
    private func cidr(_ text: String) throws -> CIDR { try CIDR(parsing: text) }
    private func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    func testIPv4Blocks() throws {
        let block = try cidr("10.0.0.0/8")
        XCTAssertTrue(block.contains(ip("10.255.1.2")))
        XCTAssertFalse(block.contains(ip("11.0.0.0")))
        XCTAssertTrue(try cidr("192.168.1.0/24").contains(ip("192.168.1.255")))
        XCTAssertFalse(try cidr("192.168.1.0/24").contains(ip("192.168.2.0")))
        XCTAssertTrue(try cidr("172.16.0.0/12").contains(ip("172.31.255.255")))
        XCTAssertFalse(try cidr("172.16.0.0/12").contains(ip("172.32.0.0")))
        XCTAssertTrue(try cidr("0.0.0.0/0").contains(ip("203.0.113.9")))
        XCTAssertTrue(try cidr("127.0.0.1").contains(ip("127.0.0.1")), "a bare address is a /32")
        XCTAssertFalse(try cidr("127.0.0.1").contains(ip("127.0.0.2")))
        XCTAssertTrue(try cidr("10.1.2.3/8").contains(ip("10.9.9.9")), "host bits past the prefix are ignored")
        XCTAssertEqual(try cidr("127.0.0.1").description, "127.0.0.1/32")
    }

    func testIPv6Blocks() throws {
        XCTAssertTrue(try cidr("fd00::/8").contains(ip("fdab:1::7")))
        XCTAssertFalse(try cidr("fd00::/8").contains(ip("fe80::1")))
        XCTAssertTrue(try cidr("2001:db8::/33").contains(ip("2001:db8:7fff::1")))
        XCTAssertFalse(try cidr("2001:db8::/33").contains(ip("2001:db8:8000::1")))
        XCTAssertTrue(try cidr("::1").contains(ip("::1")))
        XCTAssertEqual(try cidr("::1").prefixLength, 128)
        XCTAssertTrue(try cidr("::/0").contains(ip("2001:db8::1")))
        XCTAssertFalse(try cidr("::/0").contains(ip("10.0.0.1")), "families never match")
        XCTAssertFalse(try cidr("0.0.0.0/0").contains(ip("::1")))
    }

    func testIPv4MappedAddressesAreIPv4() throws {
        XCTAssertEqual(ip("::ffff:10.0.0.1"), ip("10.0.0.1"))
        XCTAssertTrue(try cidr("10.0.0.0/8").contains(ip("::ffff:10.0.0.1")))
        XCTAssertEqual(ip("2001:DB8:0:0::1").description, "2001:db8::1", "canonical text")
    }

    func testMalformedBlocksSayWhy() {
        for text in ["", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "10.0.0/8", "example.com/8", "[::1]", "::1%lo", "10.0.0.0/8/8", "1.2.3.4 ", "10.0.0.0/٣"] {
            XCTAssertThrowsError(try cidr(text), text) { error in
                XCTAssertTrue("\(error)".contains("'\(text)'"), "\(error)")
            }
        }
    }
}
