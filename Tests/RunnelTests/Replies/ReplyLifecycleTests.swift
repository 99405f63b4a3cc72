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

    /// README "Replies", when the last reader leaves: a resumable reply goes on with no
    /// reader, and one whose backend finishes within the grace is recorded whole, though
    /// no reader ever comes back for it.
    func testAResumableReplyWhoseReaderNeverReturnsCompletesInItsGraceAndIsRecordedWhole() throws {
        let (app, port) = try startRunnel()  // the default grace (30 s), far longer than this reply
        let words = (1...12).map { "word\($0)" }.joined(separator: " ")
        let client = try TestClient(port: port)
        try client.postMessage(["message": words, "backend": "echo", "delay_ms": 100, "conversation_id": "alone", "resumable": true])
        let id = try XCTUnwrap(try client.readResponse(bodyless: true).header("X-Reply-Id"))
        let reply = try XCTUnwrap(app.replies.reply(id))
        client.abort()
        XCTAssertTrue(eventually { reply.readerCount == 0 || reply.state != .streaming }, "the reader is counted out")
        XCTAssertEqual(reply.readerCount, 0)
        XCTAssertEqual(reply.state, .streaming, "the reader left while the reply was going: it goes on alone")

        XCTAssertTrue(eventually(within: .seconds(20)) { app.conversations.snapshot(of: "alone")?.reply == nil }, "freed as it completes")
        XCTAssertEqual(reply.state, .completed)
        XCTAssertEqual(reply.readerCount, 0, "no reader came back")
        let turns = app.conversations.turns(of: "alone")
        XCTAssertEqual(turns.map(\.message.content), [words, words], "the exchange is recorded once, the reply whole")
        XCTAssertEqual(turns.last?.interrupted, false)

        let after = try replyEvents(port: port, id)
        XCTAssertEqual(after.response.status, 200)
        XCTAssertEqual(after.chunks.joined(), words, "every chunk is in the log")
        XCTAssertEqual(after.end?["full_response"] as? String, words)
        XCTAssertNil(after.end?["interrupted"])
        XCTAssertNil(after.end?["error"])
        XCTAssertEqual(after.ids, (1...after.events.count).map(String.init))
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
        let (app, port) = try startRunnel { $0.replies.maxBytes = 4096; $0.replies.grace = .milliseconds(50) }
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
        // A resumable reply whose reader leaves for good: its grace (50 ms) runs out long
        // before its ten words (300 ms apart) are out.
        paths["graceExpired"] = {
            let client = try TestClient(port: port)
            try client.postMessage(["message": "a b c d e f g h i j", "backend": "echo", "delay_ms": 300, "conversation_id": "graceExpired", "resumable": true])
            let head = try client.readResponse(bodyless: true)
            var parser = EventStreamParser()
            while parser.feed(try client.receiveSome()).isEmpty {}
            client.abort()
            let reply = try XCTUnwrap(app.replies.reply(try XCTUnwrap(head.header("X-Reply-Id"))))
            XCTAssertTrue(eventually { reply.state != .streaming })
            XCTAssertEqual(reply.state, .interrupted, "ended by its grace running out, not by its backend")
        }
        for (name, run) in paths {
            try run()
            try assertFinishedOnce(name, app: app, port: port)
        }
        XCTAssertEqual(app.conversations.turns(of: "graceExpired").dropFirst().first?.interrupted, true)
    }

    /// A plain reply whose reader the server drops (its socket took nothing for the write
    /// timeout) while the backend still streams: the last reader gone, the reply ends,
    /// its upstream closes, and the ticket is finished once.
    func testTheTicketIsFinishedOnceWhenAPlainReplysReaderIsDropped() throws {
        // One piece far larger than the socket buffers hold, then an upstream that never ends.
        let text = String(repeating: "x", count: 600_000)
        let upstream = try fakeUpstream([.head(), .text(delta(text)), .awaitClientClose])
        let (app, port) = try startRunnel(environment: ["OPENAI_API_KEY": key]) { configuration in
            configuration.backend = "openai"
            configuration.baseURL = upstream.baseURL + "/v1"
            configuration.server.writeTimeout = .milliseconds(300)
            configuration.replies.maxBytes = 16 << 20
            configuration.conversationLimits.maxBytes = 16 << 20  // room for two exchanges: a second record would show
        }
        let client = try TestClient(port: port, receiveBuffer: 4096)
        try client.postMessage(["message": "a lot", "conversation_id": "dropped"])
        XCTAssertTrue(client.waitForResetWithoutReading(timeout: .seconds(10)), "dropped after the write timeout")
        wait(for: [upstream.clientClosed], timeout: 5)  // the reply ended with its last reader
        let reply = try XCTUnwrap(app.replies.recent.first { $0.conversationID == "dropped" })
        XCTAssertTrue(eventually { reply.state != .streaming })
        XCTAssertNil(reply.summary.failureCode, "not a failure")
        XCTAssertEqual(reply.state, .interrupted, "ended as its last reader left")
        try assertFinishedOnce("dropped", app: app, port: port)
        let turns = app.conversations.turns(of: "dropped")
        XCTAssertEqual(turns.dropFirst().first?.message.content, text, "what the backend had sent is recorded")
        XCTAssertEqual(turns.dropFirst().first?.interrupted, true)
    }

    /// The server stopping while replies run ends each of them once: one being read (its
    /// reader ends it, README "Replies") and a resumable one going on alone (the app ends
    /// it after the server stopped).
    func testTheTicketIsFinishedOnceWhenTheServerShutsDown() async throws {
        let (app, port) = try startRunnel()  // the default grace (30 s): the lone reply is still going
        let words = "a b c d e f g h i j"
        let read = try TestClient(port: port)
        try read.postMessage(["message": words, "backend": "echo", "delay_ms": 1000, "conversation_id": "read"])
        let alone = try TestClient(port: port)
        try alone.postMessage(["message": words, "backend": "echo", "delay_ms": 1000, "conversation_id": "alone", "resumable": true])
        var replies: [Reply] = []
        for client in [read, alone] {
            let head = try client.readResponse(bodyless: true)
            replies.append(try XCTUnwrap(app.replies.reply(try XCTUnwrap(head.header("X-Reply-Id")))))
            var parser = EventStreamParser()
            while parser.feed(try client.receiveSome()).isEmpty {}
        }
        alone.abort()
        XCTAssertTrue(eventually { replies[1].readerCount == 0 })
        XCTAssertEqual(replies.map(\.state), [.streaming, .streaming])

        await app.shutdown()
        var parser = EventStreamParser()
        let events = parser.feed(try read.readToEnd()).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any]
        }
        XCTAssertEqual((events.first { $0["error"] != nil }?["error"] as? [String: Any])?["code"] as? String, "shutting_down")
        XCTAssertEqual(replies.map(\.state), [.failed, .failed], "both ended shutting_down")
        for name in ["read", "alone"] {
            let snapshot = try XCTUnwrap(app.conversations.snapshot(of: name))
            XCTAssertNil(snapshot.reply, "\(name): freed")
            XCTAssertEqual(snapshot.turns.count, 2, "\(name): recorded once")
            let recorded = try XCTUnwrap(snapshot.turns.last, name)
            XCTAssertTrue(words.hasPrefix(recorded.message.content), "\(name): \(recorded.message.content)")
            XCTAssertEqual(recorded.interrupted, true, name)
            // The server is gone, so the next exchange goes to the store itself.
            let next = try XCTUnwrap(app.conversations.begin(name).ticket, "\(name): takes the next message")
            app.conversations.finish(next, user: "next", reply: "again", interrupted: false)
            XCTAssertEqual(app.conversations.turns(of: name).count, 4, "\(name): the next exchange follows")
        }
    }

    /// The conversation is free, holds the exchange once, and takes the next one.
    private func assertFinishedOnce(_ name: String, app: RunnelApp, port: Int, line: UInt = #line) throws {
        XCTAssertTrue(eventually { app.conversations.snapshot(of: name)?.reply == nil }, "\(name): freed", line: line)
        XCTAssertEqual(app.conversations.turns(of: name).count, 2, "\(name): recorded once", line: line)
        let next = try chat(port: port, ["message": "next", "backend": "echo", "conversation_id": name])
        XCTAssertEqual(next.response.status, 200, name, line: line)
        XCTAssertEqual(app.conversations.turns(of: name).count, 4, "\(name): the next exchange follows", line: line)
    }
}
