import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// How a reply ends: stopped, abandoned, capped, failed, completed; and that each way
/// records the exchange once and frees the conversation.
final class ReplyLifecycleTests: XCTestCase {
    private let key = "sk-reply-test-key-0123456789"

    private func delta(_ text: String) -> String {
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: ["choices": [["delta": ["content": text]]]]), as: UTF8.self)
        return "data: \(json)\n\n"
    }

    private func startOpenAI(_ upstream: FakeUpstream) throws -> (RunnelApp, Int) {
        try startRunnel(environment: ["OPENAI_API_KEY": key]) { configuration in
            configuration.backend = "openai"
            configuration.baseURL = upstream.baseURL + "/v1"
        }
    }

    func testStopClosesTheUpstreamAndEveryReaderGetsTheStoppedEnd() throws {
        let upstream = try fakeUpstream([.head(), .text(delta("first ")), .awaitClientClose])
        let (app, port) = try startOpenAI(upstream)
        let reader = try TestClient(port: port)
        try reader.postMessage(["message": "go on forever", "conversation_id": "stop"])
        let head = try reader.readResponse(bodyless: true)
        let id = try XCTUnwrap(head.header("X-Reply-Id"))
        var parser = EventStreamParser()
        while parser.feed(try reader.receiveSome()).isEmpty {}

        let second = try TestClient(port: port)
        try second.getReplyEvents(id)  // a second tab, following live
        let secondHead = try second.readResponse(bodyless: true)
        XCTAssertEqual(secondHead.status, 200)

        let stopAt = ContinuousClock.now
        let stop = try TestClient(port: port).stopReply(id)
        XCTAssertEqual(stop.status, 200)
        XCTAssertEqual(stop.json?["stopped"] as? Bool, true)
        XCTAssertEqual(stop.json?["state"] as? String, "stopped")
        wait(for: [upstream.clientClosed], timeout: 2)
        let closedAt = try XCTUnwrap(upstream.closedAt)
        XCTAssertLessThanOrEqual(closedAt - stopAt, .milliseconds(100), "the stop answer confirms the upstream is closed")

        let rest = try reader.readChat(afterHead: head)
        XCTAssertEqual(rest.end?["stopped"] as? Bool, true)
        XCTAssertEqual(rest.end?["full_response"] as? String, "first ")
        XCTAssertNil(rest.end?["error"], "stopping is not an error")
        let follower = try second.readChat(afterHead: secondHead)
        XCTAssertEqual(follower.end?["stopped"] as? Bool, true)

        let turns = app.conversations.turns(of: "stop")
        XCTAssertEqual(turns.map(\.message.content), ["go on forever", "first "], "the partial reply is recorded")
        XCTAssertEqual(turns.last?.interrupted, true)

        let again = try TestClient(port: port).stopReply(id)
        XCTAssertEqual(again.status, 200, "stop is idempotent")
        XCTAssertEqual(again.json?["stopped"] as? Bool, false)
        XCTAssertEqual(again.json?["state"] as? String, "stopped")
    }

    func testAResumableReplyWithNoReaderEndsAfterItsGrace() throws {
        let (app, port) = try startRunnel { $0.replies.grace = .milliseconds(50) }
        let client = try TestClient(port: port)
        try client.postMessage(["message": "/hang", "conversation_id": "grace", "resumable": true])
        let id = try XCTUnwrap(try client.readResponse(bodyless: true).header("X-Reply-Id"))
        client.abort()
        XCTAssertTrue(eventually { app.conversations.snapshot(of: "grace")?.reply == nil }, "freed once the grace ran out")
        let after = try replyEvents(port: port, id)
        XCTAssertEqual(after.end?["interrupted"] as? Bool, true, "a finished reply stays readable, marked interrupted")
    }

    func testAReturningReaderKeepsAResumableReplyAlive() throws {
        let (app, port) = try startRunnel { $0.replies.grace = .milliseconds(200) }
        let client = try TestClient(port: port)
        try client.postMessage(["message": "a b c d e f g h i j", "backend": "echo", "delay_ms": 60, "conversation_id": "back", "resumable": true])
        let id = try XCTUnwrap(try client.readResponse(bodyless: true).header("X-Reply-Id"))
        client.abort()
        let resumed = try replyEvents(port: port, id)  // back within the grace; stays past it
        XCTAssertEqual(resumed.end?["full_response"] as? String, "a b c d e f g h i j")
        XCTAssertNil(resumed.end?["interrupted"])
        XCTAssertEqual(app.conversations.turns(of: "back").last?.interrupted, false)
    }

    func testAReaderThatStopsReadingIsDroppedAndItsConversationIsFree() throws {
        let (app, port) = try startRunnel { $0.server.writeTimeout = .milliseconds(300) }
        let client = try TestClient(port: port, receiveBuffer: 4096)
        // Far more than the socket buffers hold, so the reader's writes stop making progress.
        let message = (0..<20_000).map { "w\($0)" }.joined(separator: " ")
        try client.postMessage(["message": message, "backend": "echo", "conversation_id": "stuck"])
        XCTAssertTrue(client.waitForResetWithoutReading(timeout: .seconds(10)), "dropped after the write timeout")
        XCTAssertEqual(app.conversations.turns(of: "stuck").last?.message.content, message, "the reply ran to its end without its reader")
        XCTAssertEqual(try chat(port: port, ["message": "next", "backend": "echo", "conversation_id": "stuck"]).response.status, 200)
    }

    func testTheReplyCap() throws {
        let (app, port) = try startRunnel { $0.replies.maxBytes = 4096 }
        let message = (0..<400).map { "word\($0)" }.joined(separator: " ")
        let transcript = try chat(port: port, ["message": message, "backend": "echo", "conversation_id": "cap"])
        XCTAssertEqual(transcript.error?["code"] as? String, "reply_too_large")
        XCTAssertEqual(transcript.end?["error"] as? Bool, true)
        XCTAssertLessThanOrEqual(transcript.raw.count, 4096, "the whole log, closing events included, fits the cap")
        let partial = try XCTUnwrap(transcript.end?["full_response"] as? String)
        XCTAssertTrue(message.hasPrefix(partial) && !partial.isEmpty)
        XCTAssertEqual(transcript.chunks.joined(), partial)
        XCTAssertEqual(app.conversations.turns(of: "cap").last?.message.content, partial)
        XCTAssertEqual(try chat(port: port, ["message": "small", "backend": "echo", "conversation_id": "cap"]).response.status, 200)
    }

    /// Every way a reply ends finishes its ticket exactly once: the exchange is recorded
    /// once (two turns, not four) and the conversation takes the next message.
    func testTheTicketIsFinishedExactlyOnceOnEveryPath() throws {
        let (app, port) = try startRunnel { $0.replies.maxBytes = 4096 }
        let long = (0..<400).map { "w\($0)" }.joined(separator: " ")
        var paths: [String: () throws -> Void] = [:]
        paths["completed"] = { _ = try chat(port: port, ["message": "done now", "backend": "echo", "conversation_id": "completed"]) }
        paths["failed"] = { _ = try chat(port: port, ["message": "/error-mid", "conversation_id": "failed"]) }
        paths["capped"] = { _ = try chat(port: port, ["message": long, "backend": "echo", "conversation_id": "capped"]) }
        paths["left"] = {
            let client = try TestClient(port: port)
            try client.postMessage(["message": "x y z w v u", "backend": "echo", "delay_ms": 200, "conversation_id": "left"])
            var parser = EventStreamParser()
            _ = try client.readResponse(bodyless: true)
            while parser.feed(try client.receiveSome()).isEmpty {}
            client.abort()
        }
        paths["stopped"] = {
            let client = try TestClient(port: port)
            try client.postMessage(["message": "x y z w v u", "backend": "echo", "delay_ms": 200, "conversation_id": "stopped"])
            let head = try client.readResponse(bodyless: true)
            var parser = EventStreamParser()
            while parser.feed(try client.receiveSome()).isEmpty {}
            _ = try TestClient(port: port).stopReply(try XCTUnwrap(head.header("X-Reply-Id")))
            _ = try client.readChat(afterHead: head)
        }
        for (name, run) in paths {
            try run()
            XCTAssertTrue(eventually { app.conversations.snapshot(of: name)?.reply == nil }, "\(name): freed")
            XCTAssertEqual(app.conversations.turns(of: name).count, 2, "\(name): recorded once")
            XCTAssertEqual(try chat(port: port, ["message": "next", "backend": "echo", "conversation_id": name]).response.status, 200, name)
            XCTAssertEqual(app.conversations.turns(of: name).count, 4, "\(name): the next exchange follows")
        }
    }
}
