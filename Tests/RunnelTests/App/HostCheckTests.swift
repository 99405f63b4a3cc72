@testable import Runnel
import TestSupport
import XCTest

/// The Host check over real sockets: the authority is parsed strictly (RFC 3986), so a
/// value two readers could split differently is refused before it reaches any route.
final class HostCheckTests: XCTestCase {
    private func get(_ port: Int, host: String) throws -> TestResponse {
        let client = try TestClient(port: port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: \(host)\r\n\r\n")
        return try client.readResponse()
    }

    func testMalformedHostsAre400() throws {
        let (_, port) = try startRunnel()
        for host in ["[::1]evil.com", "localhost:evil.com", "::1", "127.0.0.1:\(port):1", "[::1"] {
            let response = try get(port, host: host)
            XCTAssertEqual(response.status, 400, host)
            XCTAssertTrue(response.text.hasPrefix("malformed Host header"), response.text)
        }
    }

    func testLoopbackSpellingsAreServed() throws {
        let (_, port) = try startRunnel()
        for host in ["localhost", "localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)", "[0:0::1]", "app.localhost"] {
            XCTAssertEqual(try get(port, host: host).text, "ok\n", host)
        }
    }

    func testForeignHostsAre403WithAHintNamingTheHost() throws {
        let (_, port) = try startRunnel { $0.allowedHosts = ["dev.example", "[2001:db8::1]"] }
        let name = try get(port, host: "Evil.Example:\(port)")
        XCTAssertEqual(name.status, 403)
        XCTAssertEqual(name.text, "host 'evil.example' is not allowed; start runnel with --allowed-host evil.example to accept it\n")
        let v6 = try get(port, host: "[2001:db8::2]:\(port)")
        XCTAssertEqual(v6.status, 403)
        XCTAssertTrue(v6.text.contains("--allowed-host '[2001:db8::2]' "), v6.text)
        XCTAssertEqual(try get(port, host: "127.0.0.01").status, 403, "not an IPv4 address, so not loopback")
        XCTAssertEqual(try get(port, host: "").status, 403)
        XCTAssertEqual(try get(port, host: "DEV.example:\(port)").status, 200, "--allowed-host, any case")
        XCTAssertEqual(try get(port, host: "[2001:DB8::1]").status, 200)
    }
}
