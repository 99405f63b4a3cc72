import Foundation
import TestSupport
import XCTest

/// Runnel behind a real nginx with the README's configuration (README "Deploying"):
/// replies stream through unbuffered, a resumable reply is picked up again through it,
/// and the client's address comes from `X-Forwarded-For` only when nginx sent it.
final class NginxTests: XCTestCase {
    private let token = "nginx-test-token-0123456789"
    private var bearer: [String: String] { ["Authorization": "Bearer \(token)"] }

    func testTheREADMEShowsASystemdUnitWithTheHardening() throws {
        let unit = try NginxFixture.readmeBlock("ini")
        for line in ["DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes"] {
            XCTAssertTrue(unit.contains(line + "\n"), "the README's unit lacks \(line)")
        }
    }

    /// Runnel (the built binary, JSON log) trusting nginx at 127.0.0.1, and nginx in front.
    private func start(_ arguments: [String] = []) throws -> (runnel: RunnelProcess, nginx: NginxFixture) {
        let runnel = try RunnelProcess(arguments: [
            "--port", "0", "--embedded", "--backend", "echo", "--trusted-proxy", "127.0.0.1", "--access-token", token, "--log-format", "json",
        ] + arguments)
        stopAtTearDown(runnel) { _ = $0.terminate() }
        let runnelPort = try XCTUnwrap(runnel.waitForPort(), runnel.text)
        let nginx = try NginxFixture { try NginxFixture.site(listen: $0, upstreams: [runnelPort]) }
        addTeardownBlock { nginx.stop() }
        return (runnel, nginx)
    }

    func testRepliesStreamThroughUnbuffered() throws {
        let (_, nginx) = try start()
        let client = try TestClient(port: nginx.port)
        try client.postMessage(["message": "one two three four five six", "delay_ms": 150], headers: bearer)
        let head = try client.readResponse(bodyless: true)
        XCTAssertEqual(head.status, 200)
        var parser = EventStreamParser()
        var firstChunk: ContinuousClock.Instant?
        var end: ContinuousClock.Instant?
        var text = ""
        _ = try client.readChunkedBody { bytes in
            for event in parser.feed(bytes) {
                let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])
                if let chunk = object["chunk"] as? String {
                    if firstChunk == nil { firstChunk = .now }
                    text += chunk
                }
                if object["end"] as? Bool == true { end = .now }
            }
        }
        XCTAssertEqual(text, "one two three four five six")
        let gap = try XCTUnwrap(end) - XCTUnwrap(firstChunk)
        XCTAssertGreaterThan(gap, .milliseconds(500), "the first chunk came \(gap) before the end: nginx buffered the stream")
    }

    func testAResumableReplyIsPickedUpAgainThroughNginx() throws {
        let (_, nginx) = try start()
        let words = (1...8).map { "w\($0)" }
        let first = try TestClient(port: nginx.port)
        try first.postMessage(["message": words.joined(separator: " "), "delay_ms": 100, "resumable": true], headers: bearer)
        let head = try first.readResponse(bodyless: true)
        let id = try XCTUnwrap(head.header("X-Reply-Id"))
        var parser = EventStreamParser()
        var seen: [String] = []
        struct Enough: Error {}
        do {
            _ = try first.readChunkedBody { bytes in
                seen += parser.feed(bytes).map(\.id)
                if seen.count >= 2 { throw Enough() }
            }
        } catch is Enough {}
        first.abort()
        XCTAssertEqual(Array(seen.prefix(2)), ["1", "2"])

        let again = try TestClient(port: nginx.port)
        try again.send("GET /api/replies/\(id)/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nLast-Event-ID: 2\r\n\r\n")
        let rest = try again.readChat(afterHead: again.readResponse(bodyless: true))
        XCTAssertEqual(rest.response.status, 200)
        XCTAssertEqual(rest.ids.first, "3", "picked up after the last event seen")
        XCTAssertEqual(rest.end?["full_response"] as? String, words.joined(separator: " "))
        XCTAssertNil(rest.end?["interrupted"])
    }

    func testTheClientAddressComesFromNginxOnly() throws {
        let (runnel, nginx) = try start()
        // Through nginx, from 127.0.0.7, claiming to be someone else: nginx replaces the claim.
        let proxied = try exchange(port: nginx.port, "GET", "/api/backends", headers: bearer.merging(["X-Forwarded-For": "203.0.113.9"]) { a, _ in a },
                                   source: "127.0.0.7")
        XCTAssertEqual(proxied.status, 200)
        // Straight to Runnel, from 127.0.0.5, with the same claim: ignored.
        let runnelPort = try XCTUnwrap(runnel.waitForPort())
        let direct = try exchange(port: runnelPort, "GET", "/api/backends", headers: bearer.merging(["X-Forwarded-For": "203.0.113.9"]) { a, _ in a },
                                  source: "127.0.0.5")
        XCTAssertEqual(direct.status, 200)

        let client = { (response: TestResponse) throws -> String? in
            let id = try XCTUnwrap(response.header("X-Request-Id"))
            XCTAssertTrue(runnel.waitFor(id), runnel.text)
            let line = try XCTUnwrap(runnel.text.split(separator: "\n").first { $0.contains(id) })
            return (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["client"] as? String
        }
        XCTAssertEqual(try client(proxied), "127.0.0.7")
        XCTAssertEqual(try client(direct), "127.0.0.5")
        XCTAssertFalse(runnel.text.contains("203.0.113.9"))
    }
}
