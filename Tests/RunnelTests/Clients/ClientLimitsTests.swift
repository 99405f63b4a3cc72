import HTTPServer
@testable import Runnel
import TestSupport
import XCTest

/// Per-client limits: the table on its own (with a clock the test moves), then over sockets.
final class ClientLimitsTests: XCTestCase {
    private func limits(_ configure: (inout ClientLimitSettings) -> Void) -> ClientLimits {
        var settings = ClientLimitSettings()
        configure(&settings)
        return ClientLimits(settings: settings, isPublic: true)
    }

    func testTheRequestBucketRefillsAtItsRate() throws {
        let table = limits { $0.requestsPerMinute = 3 }
        let start = ContinuousClock.now
        for _ in 0..<3 { try table.admitRequest(from: "a", now: start) }
        XCTAssertThrowsError(try table.admitRequest(from: "a", now: start)) { error in
            let refusal = error as? HTTPError
            XCTAssertEqual(refusal?.status, .tooManyRequests)
            XCTAssertEqual(refusal?.code, "rate_limited")
            XCTAssertEqual(refusal?.headers["Retry-After"], "20")
        }
        try table.admitRequest(from: "b", now: start)
        XCTAssertThrowsError(try table.admitRequest(from: "a", now: start + .seconds(19)))
        try table.admitRequest(from: "a", now: start + .seconds(20))
    }

    func testRepliesAtOncePerClientAndOnTheServer() throws {
        let table = limits { $0.maxRepliesPerClient = 2; $0.maxReplies = 3 }
        try table.beginReply(for: "a")
        try table.beginReply(for: "a")
        XCTAssertThrowsError(try table.beginReply(for: "a")) { error in
            XCTAssertEqual((error as? HTTPError)?.code, "too_many_replies")
            XCTAssertEqual((error as? HTTPError)?.status, .tooManyRequests)
            XCTAssertEqual((error as? HTTPError)?.headers["Retry-After"], String(ClientLimits.busyRetryAfterSeconds))
        }
        try table.beginReply(for: "b")
        XCTAssertThrowsError(try table.beginReply(for: "c")) { error in
            XCTAssertEqual((error as? HTTPError)?.code, "server_busy")
            XCTAssertEqual((error as? HTTPError)?.status, .serviceUnavailable)
            XCTAssertNotNil((error as? HTTPError)?.headers["Retry-After"])
        }
        table.endReply(of: "a")
        XCTAssertEqual(table.repliesInFlight, 2)
        try table.beginReply(for: "c")
        table.endReply(of: "nobody")
        XCTAssertEqual(table.repliesInFlight, 3, "a reply never counted in is not counted out")
    }

    func testAnIPv6ClientIsItsSlash64() throws {
        let table = limits { $0.maxRepliesPerClient = 1; $0.requestsPerMinute = 2 }
        try table.beginReply(for: "2001:db8:1:2::10")
        XCTAssertThrowsError(try table.beginReply(for: "2001:db8:1:2:ffff:1:2:3"), "another address of the same /64") { error in
            XCTAssertEqual((error as? HTTPError)?.code, "too_many_replies")
        }
        try table.beginReply(for: "2001:db8:1:3::10")  // the next /64: another client
        table.endReply(of: "2001:db8:1:2:abcd::1")  // counted out by any address of its /64
        try table.beginReply(for: "2001:db8:1:2::99")

        let start = ContinuousClock.now
        try table.admitRequest(from: "2001:db8:9:9::1", now: start)
        try table.admitRequest(from: "2001:db8:9:9::2", now: start)
        XCTAssertThrowsError(try table.admitRequest(from: "2001:db8:9:9::3", now: start), "one bucket for the /64")
        try table.admitRequest(from: "198.51.100.1", now: start)
        try table.admitRequest(from: "198.51.100.2", now: start)
        try table.admitRequest(from: "198.51.100.2", now: start)
        XCTAssertThrowsError(try table.admitRequest(from: "198.51.100.2", now: start), "IPv4: each address its own")
        XCTAssertEqual(ClientLimits.key(of: "2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64")
        XCTAssertEqual(ClientLimits.key(of: "::ffff:198.51.100.7"), "198.51.100.7", "an IPv4-mapped address is IPv4")
    }

    func testTheTableIsBounded() throws {
        let table = limits { $0.maxReplies = 10 }
        let start = ContinuousClock.now
        try table.beginReply(for: "busy")
        for index in 0..<(ClientLimits.maxTrackedClients + 500) {
            try table.admitRequest(from: "client-\(index)", now: start + .milliseconds(index))
        }
        XCTAssertLessThanOrEqual(table.trackedClients, ClientLimits.maxTrackedClients)
        XCTAssertThrowsError(try (0..<5).forEach { _ in try table.beginReply(for: "busy") }, "the client with a reply was kept")
        // A minute later every entry is idle: the next newcomer sweeps them all.
        try table.admitRequest(from: "late", now: start + .seconds(120))
        XCTAssertLessThan(table.trackedClients, 10)
    }

    func testALoopbackServerAppliesNoLimitsUnlessAsked() throws {
        let open = ClientLimits(settings: ClientLimitSettings(), isPublic: false)
        for _ in 0..<100 { try open.admitRequest(from: "me"); try open.beginReply(for: "me") }
        var asked = ClientLimitSettings()
        asked.enforced = true
        XCTAssertTrue(ClientLimits(settings: asked, isPublic: false).isEnforced)
    }

    // MARK: - Over sockets

    private let bearer = ["Authorization": "Bearer test-token-0123456789abcdef"]

    /// A public server (behind a "proxy" at 127.0.0.2) with small limits.
    private func startLimited(_ configure: @escaping (inout ClientLimitSettings) -> Void) throws -> Int {
        let (_, port) = try startRunnel {
            $0.accessToken = "test-token-0123456789abcdef"
            $0.trustedProxies = [try! CIDR(parsing: "127.0.0.2")]
            configure(&$0.limits)
        }
        return port
    }

    /// Asks for a `/hang` reply (mock: it never ends on its own) from `source`: the
    /// connection, which keeps the reply going while open, and the answer's head, with
    /// its body unless it is the stream.
    private func ask(_ port: Int, from source: String, forwardedFor: String?) throws -> (TestClient, TestResponse) {
        let client = try TestClient(port: port, sourceAddress: source)
        var headers = bearer
        if let forwardedFor { headers["X-Forwarded-For"] = forwardedFor }
        try client.postMessage(["message": "/hang"], headers: headers)
        var response = try client.readResponse(bodyless: true)
        if response.status != 200 { response.body = try client.readBody(of: response) }
        return (client, response)
    }

    /// A reply held open by the returned connection.
    private func hang(_ port: Int, from source: String, forwardedFor: String? = nil) throws -> TestClient {
        let (client, response) = try ask(port, from: source, forwardedFor: forwardedFor)
        XCTAssertEqual(response.status, 200)
        return client
    }

    /// The answer only: a reply it started ends with its connection, when this returns.
    private func post(_ port: Int, from source: String, forwardedFor: String? = nil) throws -> TestResponse {
        try ask(port, from: source, forwardedFor: forwardedFor).1
    }

    private func assertRefused(_ response: TestResponse, _ status: Int, _ code: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, status, file: file, line: line)
        XCTAssertEqual(response.errorCode, code, response.text, file: file, line: line)
        XCTAssertEqual(response.header("Retry-After"), String(ClientLimits.busyRetryAfterSeconds), file: file, line: line)
    }

    func testASecondReplyFromTheSameClientIs429UntilTheFirstEnds() throws {
        let port = try startLimited { $0.maxRepliesPerClient = 1 }
        let first = try hang(port, from: "127.0.0.3")
        assertRefused(try post(port, from: "127.0.0.3"), 429, "too_many_replies")
        _ = try hang(port, from: "127.0.0.4")  // another client is not held back

        first.abort()  // the plain reply ends with its reader: its slot is free again
        let deadline = ContinuousClock.now + .seconds(5)
        var again = try post(port, from: "127.0.0.3")
        while again.status == 429, ContinuousClock.now < deadline { usleep(10_000); again = try post(port, from: "127.0.0.3") }
        XCTAssertEqual(again.status, 200)
    }

    /// A reply of a provider endpoint (README "SDKs"), streamed or whole, takes one of its
    /// client's slots as a reply of `/api/message` does, and frees it as it ends.
    func testProviderEndpointRepliesCountAgainstTheSameLimits() throws {
        let port = try startLimited { $0.maxRepliesPerClient = 1 }
        let held = try TestClient(port: port, sourceAddress: "127.0.0.3")
        let stream = #"{"model":"mock","stream":true,"messages":[{"role":"user","content":"/slow /long 3000"}]}"#
        try held.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(bearer["Authorization"]!)\r\n"
                      + "Content-Type: application/json\r\nContent-Length: \(stream.utf8.count)\r\n\r\n\(stream)")
        XCTAssertEqual(try held.readResponse(bodyless: true).status, 200)

        assertRefused(try post(port, from: "127.0.0.3"), 429, "too_many_replies")
        let whole = #"{"model":"echo","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#
        let anthropic = { (source: String) in try exchange(port: port, "POST", "/v1/messages", headers: self.bearer, json: whole, source: source) }
        let refused = try anthropic("127.0.0.3")
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual((refused.json?["error"] as? [String: Any])?["type"] as? String, "rate_limit_error", "in the format's own shape")
        XCTAssertEqual(refused.header("Retry-After"), String(ClientLimits.busyRetryAfterSeconds))
        // Another client is not held back, and a whole reply frees its slot as it ends.
        XCTAssertEqual(try anthropic("127.0.0.4").status, 200)
        XCTAssertEqual(try anthropic("127.0.0.4").status, 200)

        held.abort()  // the stream ends with its client: the slot is free again
        let deadline = ContinuousClock.now + .seconds(5)
        var again = try anthropic("127.0.0.3")
        while again.status == 429, ContinuousClock.now < deadline { again = try anthropic("127.0.0.3") }
        XCTAssertEqual(again.status, 200)
    }

    func testTheServerCapIs503() throws {
        let port = try startLimited { $0.maxReplies = 1 }
        let held = try hang(port, from: "127.0.0.3")
        assertRefused(try post(port, from: "127.0.0.5"), 503, "server_busy")
        withExtendedLifetime(held) {}
    }

    func testClientsBehindTheTrustedProxyAreToldApartAndAForgedHeaderIsIgnored() throws {
        let port = try startLimited { $0.maxRepliesPerClient = 1 }
        let viaProxy = try hang(port, from: "127.0.0.2", forwardedFor: "198.51.100.1")
        XCTAssertEqual(try post(port, from: "127.0.0.2", forwardedFor: "198.51.100.2").status, 200, "another client behind the proxy")
        XCTAssertEqual(try post(port, from: "127.0.0.2", forwardedFor: "198.51.100.1").status, 429, "the same one")

        let direct = try hang(port, from: "127.0.0.3", forwardedFor: "198.51.100.7")
        XCTAssertEqual(try post(port, from: "127.0.0.3", forwardedFor: "198.51.100.8").status, 429,
                       "an untrusted peer's X-Forwarded-For is ignored: it is one client whatever it claims")
        withExtendedLifetime([viaProxy, direct]) {}
    }

    func testIPv6ClientsBehindTheTrustedProxyAreCountedByTheirSlash64() throws {
        let port = try startLimited { $0.maxRepliesPerClient = 1 }
        let held = try hang(port, from: "127.0.0.2", forwardedFor: "2001:db8:5:6::1")
        XCTAssertEqual(try post(port, from: "127.0.0.2", forwardedFor: "2001:db8:5:6::2").status, 429, "the same /64")
        XCTAssertEqual(try post(port, from: "127.0.0.2", forwardedFor: "2001:db8:5:7::1").status, 200, "another /64")
        withExtendedLifetime(held) {}
    }

    func testRequestsPerMinuteCoverEveryPOSTOfTheAPI() throws {
        let port = try startLimited { $0.requestsPerMinute = 2 }
        let reset = { try exchange(port: port, "POST", "/api/reset", headers: self.bearer, json: "{}", source: "127.0.0.3") }
        XCTAssertEqual(try reset().status, 204)
        XCTAssertEqual(try reset().status, 204)
        let refused = try reset()
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(refused.errorCode, "rate_limited")
        XCTAssertEqual(refused.header("Retry-After"), "30")
        XCTAssertEqual(try exchange(port: port, "GET", "/api/backends", headers: bearer, source: "127.0.0.3").status, 200, "reads are not counted")
        XCTAssertEqual(try exchange(port: port, "POST", "/api/reset", headers: bearer, json: "{}", source: "127.0.0.4").status, 204)
    }

    func testTheRequestIDComesFromTheTrustedProxyOnly() throws {
        let port = try startLimited { _ in }
        let proxied = try exchange(port: port, "GET", "/healthz", headers: ["X-Request-Id": "nginx-1234abcd"], source: "127.0.0.2")
        XCTAssertEqual(proxied.header("X-Request-Id"), "nginx-1234abcd")
        let direct = try exchange(port: port, "GET", "/healthz", headers: ["X-Request-Id": "nginx-1234abcd"], source: "127.0.0.3")
        XCTAssertNotEqual(direct.header("X-Request-Id"), "nginx-1234abcd")
        XCTAssertEqual(direct.header("X-Request-Id")?.count, 32)
    }
}
