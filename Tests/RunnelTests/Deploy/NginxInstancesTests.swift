import Foundation
import TestSupport
import XCTest

/// Two instances of the built binary, `--instance a` and `--instance b`, behind a real
/// nginx with the README's site for several instances (README "Several instances"):
/// messages go round robin with no stickiness, and a reply's routes reach the instance
/// whose name its id carries.
final class NginxInstancesTests: XCTestCase {
    private let token = "nginx-instances-token-0123456789"
    private var bearer: [String: String] { ["Authorization": "Bearer \(token)"] }

    private struct Deployment {
        let nginx: NginxFixture
        let instances: [String: RunnelProcess]
    }

    /// Both instances (same token, trusting nginx at 127.0.0.1), then nginx in front.
    private func start() throws -> Deployment {
        var instances: [String: RunnelProcess] = [:]
        var ports: [String: Int] = [:]
        for name in ["a", "b"] {
            let runnel = try RunnelProcess(arguments: [
                "--instance", name, "--port", "0", "--embedded", "--backend", "mock", "--mock-ttft-ms", "5", "--mock-delay-ms", "1",
                "--trusted-proxy", "127.0.0.1", "--access-token", token, "--log-format", "json",
            ])
            stopAtTearDown(runnel) { _ = $0.terminate() }
            ports[name] = try XCTUnwrap(runnel.waitForPort(), runnel.text)
            instances[name] = runnel
        }
        let nginx = try NginxFixture { try NginxFixture.instancesSite(listen: $0, a: ports["a"]!, b: ports["b"]!) }
        addTeardownBlock { nginx.stop() }
        return Deployment(nginx: nginx, instances: instances)
    }

    /// The instance named by a reply id (`a.3f9c…` → `a`).
    private func instance(of id: String?) -> String? {
        id?.split(separator: ".", maxSplits: 1).first.map(String.init)
    }

    /// One person's chat, as the UI sends it: each message with the turns before it
    /// (`history`). nginx alternates the instances, and each answer (the mock's says which
    /// message of the conversation it answers, and quotes the one before) shows the whole
    /// chat, though neither instance saw every message.
    func testOnePersonsChatIsAnsweredByBothInstancesInTurnFromTheHistoryItSends() throws {
        let nginx = try start().nginx
        let messages = ["Tell me about rivers", "And lakes?", "Which is deeper?", "Thanks, that helps"]
        var history: [[String: String]] = []
        var answeredBy: [String] = []
        for (index, message) in messages.enumerated() {
            let transcript = try chat(port: nginx.port, ["message": message, "conversation_id": "c_person", "history": history], headers: bearer)
            XCTAssertEqual(transcript.response.status, 200, String(decoding: transcript.response.body, as: UTF8.self))
            let reply = try XCTUnwrap(transcript.end?["full_response"] as? String)
            answeredBy.append(try XCTUnwrap(instance(of: transcript.replyID)))
            XCTAssertTrue(reply.contains("This is message \(index + 1) of our conversation"), "message \(index + 1) on \(answeredBy.last!): \(reply.prefix(200))")
            if index > 0 {
                XCTAssertTrue(reply.contains("Earlier you said \u{201C}\(messages[index - 1])\u{201D}"), reply.prefix(200) + "…")
            }
            history += [["role": "user", "content": message], ["role": "assistant", "content": reply]]
        }
        XCTAssertEqual(Set(answeredBy), ["a", "b"], "both instances answered")
        for (one, next) in zip(answeredBy, answeredBy.dropFirst()) {
            XCTAssertNotEqual(one, next, "round robin, no stickiness: each message went to the other instance (\(answeredBy))")
        }
    }

    func testAResumableReplyIsReadAgainAndStoppedOnItsInstanceWhateverTheTurn() throws {
        let deployment = try start()
        let port = deployment.nginx.port
        let words = (1...40).map { "w\($0)" }
        let post = try TestClient(port: port)
        try post.postMessage(["message": words.joined(separator: " "), "backend": "echo", "delay_ms": 50, "resumable": true], headers: bearer)
        let head = try post.readResponse(bodyless: true)
        XCTAssertEqual(head.status, 200)
        let id = try XCTUnwrap(head.header("X-Reply-Id"))
        let owner = try XCTUnwrap(instance(of: id))
        XCTAssertTrue(["a", "b"].contains(owner), id)
        var parser = EventStreamParser()
        var seen: [EventStreamParser.Event] = []
        while seen.count < 2 { seen += parser.feed(try post.receiveSome()) }
        post.abort()  // a reload: the reply goes on without its reader

        // Four times in a row: round robin would have sent two of them to the other instance.
        var after = try XCTUnwrap(Int(seen[1].id))
        for attempt in 1...4 {
            let reader = try TestClient(port: port)
            try reader.send("GET /api/replies/\(id)/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nLast-Event-ID: \(after)\r\n\r\n")
            let response = try reader.readResponse(bodyless: true)
            guard response.status == 200 else {
                return XCTFail("read \(attempt) of \(id) did not reach instance \(owner): \(response.status)")
            }
            XCTAssertEqual(response.header("X-Reply-Id"), id)
            var readerParser = EventStreamParser()
            var events: [EventStreamParser.Event] = []
            while events.isEmpty { events = readerParser.feed(try reader.receiveSome()) }
            XCTAssertEqual(events.first?.id, String(after + 1), "read \(attempt) picks up after the last event seen")
            after = try XCTUnwrap(Int(events.last?.id ?? ""))
            reader.abort()
        }

        // Stop, through nginx, twice: the owner answers both times.
        let stop = try exchange(port: port, "POST", "/api/replies/\(id)/stop", headers: bearer.merging(["Content-Length": "0"]) { a, _ in a })
        XCTAssertEqual(stop.status, 200, String(decoding: stop.body, as: UTF8.self))
        XCTAssertEqual(stop.json?["id"] as? String, id)
        XCTAssertEqual(stop.json?["stopped"] as? Bool, true)
        let again = try exchange(port: port, "POST", "/api/replies/\(id)/stop", headers: bearer.merging(["Content-Length": "0"]) { a, _ in a })
        XCTAssertEqual(again.json?["stopped"] as? Bool, false)
        XCTAssertEqual(again.json?["state"] as? String, "stopped")

        // The whole stopped reply, from the start, through nginx.
        let whole = try TestClient(port: port)
        try whole.send("GET /api/replies/\(id)/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n")
        let transcript = try whole.readChat()
        XCTAssertEqual(transcript.end?["stopped"] as? Bool, true)
        XCTAssertGreaterThanOrEqual(transcript.chunks.count, after)
        XCTAssertLessThan(transcript.chunks.count, words.count, "stopped before the end")

        // Only the owner saw the reply's routes; the other instance saw none of them.
        let other = try XCTUnwrap(deployment.instances[owner == "a" ? "b" : "a"])
        let ownerLog = try XCTUnwrap(deployment.instances[owner])
        XCTAssertTrue(ownerLog.waitFor("\"path\":\"/api/replies/\(id)/stop\""), ownerLog.text)
        XCTAssertFalse(other.text.contains("/api/replies/"), other.text)
    }

    func testAnIDNamingNoInstanceOfTheSiteGetsA404() throws {
        let nginx = try start().nginx
        let id = "zz." + String(repeating: "0123456789abcdef", count: 2)
        let response = try exchange(port: nginx.port, "GET", "/api/replies/\(id)/events", headers: bearer)
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(response.errorCode, "reply_not_found")
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains("instance 'zz'"))
    }
}
