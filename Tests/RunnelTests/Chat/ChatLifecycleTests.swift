import ChatBackends
import Foundation
import HTTPServer
@testable import Runnel
import TestSupport
import XCTest

/// Conversations over time: cancellation, reset, heartbeat, shutdown, the listing.
final class ChatLifecycleTests: XCTestCase {
    func testClientDisconnectCancelsTheReplyAndKeepsThePartialText() throws {
        let (app, port) = try startRunnel()
        let client = try TestClient(port: port)
        try client.postMessage(["message": "alpha beta gamma delta epsilon", "backend": "echo", "conversation_id": "gone", "delay_ms": 500])
        XCTAssertEqual(try client.readResponse(bodyless: true).status, 200)
        _ = try client.readLine()  // the first chunk's size line: the stream is under way
        client.abort()
        // The conversation frees up as soon as the server noticed: a new message is
        // accepted (no 409) well before the 2 s the echo would still have taken.
        let deadline = ContinuousClock.now + .seconds(1)
        var status = 0
        repeat {
            let next = try chat(port: port, ["message": "again", "backend": "echo", "conversation_id": "gone"])
            status = next.response.status
        } while status == 409 && ContinuousClock.now < deadline
        XCTAssertEqual(status, 200)
        let turns = app.conversations.turns(of: "gone")
        XCTAssertEqual(turns.first?.message.content, "alpha beta gamma delta epsilon")
        XCTAssertEqual(turns.dropFirst().first?.interrupted, true, "the partial reply is kept, marked interrupted")
        XCTAssertEqual(turns.dropFirst().first?.message.content, "alpha ")
    }

    func testAClientThatLeavesAtOnceFreesItsConversation() throws {
        let (app, port) = try startRunnel()
        let client = try TestClient(port: port)
        try client.postMessage(["message": "/hang", "conversation_id": "never"])
        client.abort()  // gone before reading anything: the reply's one reader runs, fails, and leaves
        XCTAssertTrue(eventually {
            guard let snapshot = app.conversations.snapshot(of: "never") else { return false }
            return snapshot.reply == nil
        }, "freed once the server saw the request and the client gone")
        XCTAssertEqual(try chat(port: port, ["message": "again", "backend": "echo", "conversation_id": "never"]).response.status, 200)
    }

    func testResetForgetsTheConversation() throws {
        let (app, port) = try startRunnel()
        _ = try chat(port: port, ["message": "remember me", "backend": "echo", "conversation_id": "r1"])
        XCTAssertEqual(app.conversations.turns(of: "r1").count, 2)
        let client = try TestClient(port: port)
        let body = #"{"conversation_id": "r1"}"#
        try client.send("POST /api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertEqual(try client.readResponse().status, 204)
        XCTAssertEqual(app.conversations.turns(of: "r1").count, 0)
        let again = try chat(port: port, ["message": "hello", "conversation_id": "r1"])
        XCTAssertTrue((again.end?["full_response"] as? String ?? "").contains("message 1"), "a fresh conversation")
    }

    func testHeartbeatWhileTheBackendIsSilent() throws {
        let (_, port) = try startRunnel { $0.heartbeat = .milliseconds(50) }
        let client = try TestClient(port: port)
        try client.postMessage(["message": "/hang", "conversation_id": "quiet"])
        XCTAssertEqual(try client.readResponse(bodyless: true).status, 200)
        var parser = EventStreamParser()
        while parser.comments.count < 2 {
            let sizeLine = try client.readLine()
            let size = try XCTUnwrap(Int(sizeLine, radix: 16))
            XCTAssertTrue(parser.feed(try client.readExactly(size)).isEmpty, "only comments while silent")
            _ = try client.readLine()
        }
        XCTAssertEqual(parser.comments, ["ping", "ping"])
    }

    func testShutdownEndsStreamsWithShuttingDown() async throws {
        let (app, port) = try startRunnel()
        let client = try TestClient(port: port)
        try client.postMessage(["message": "/hang", "conversation_id": "stop"])
        XCTAssertEqual(try client.readResponse(bodyless: true).status, 200)
        await app.shutdown()
        var parser = EventStreamParser()
        let events = parser.feed(try client.readToEnd()).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any]
        }
        XCTAssertEqual((events.first?["error"] as? [String: Any])?["code"] as? String, "shutting_down")
        XCTAssertEqual(events.last?["end"] as? Bool, true)
        XCTAssertEqual(events.last?["error"] as? Bool, true)
    }

    func testBackendsListing() throws {
        let (_, port) = try startRunnel()
        let client = try TestClient(port: port)
        try client.send("GET /api/backends HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.header("Content-Type"), "application/json")
        let json = try XCTUnwrap(response.json)
        XCTAssertEqual(json["default"] as? String, "mock")
        let names = (json["backends"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        XCTAssertEqual(Set(names ?? []), ["mock", "echo"])
    }

    func testEvictionIsLeastRecentlyUsedNotOldestCreated() {
        var limits = ConversationLimits()
        limits.maxConversations = 3
        let store = ConversationStore(limits: limits)
        for id in ["a", "b", "c", "a"] {
            store.finish(store.begin(id).ticket!, user: "u", reply: "r", interrupted: false)
        }
        let busy = store.begin("b").ticket!  // b is streaming: in use, so not evictable
        store.finish(store.begin("d").ticket!, user: "u", reply: "r", interrupted: false)
        XCTAssertTrue(store.turns(of: "c").isEmpty, "c was the least recently used idle one")
        XCTAssertFalse(store.turns(of: "a").isEmpty)
        XCTAssertFalse(store.turns(of: "b").isEmpty)
        store.finish(busy, user: "u", reply: "r", interrupted: false)
        for index in 0..<10_000 { store.finish(store.begin("x\(index)").ticket!, user: "u", reply: "r", interrupted: false) }
        XCTAssertEqual(store.count, 3, "bounded under churn")
    }

    func testConversationStoreBounds() {
        var limits = ConversationLimits()
        limits.maxConversations = 3
        limits.maxTurns = 4
        limits.idleExpiry = .seconds(60)
        let store = ConversationStore(limits: limits)
        for index in 0..<5 {
            let ticket = store.begin("c\(index)").ticket!
            store.finish(ticket, user: "u", reply: "a", interrupted: false)
        }
        XCTAssertEqual(store.count, 3, "least recently used evicted")
        XCTAssertTrue(store.turns(of: "c0").isEmpty)
        for turn in 0..<5 {
            let ticket = store.begin("c4").ticket!
            store.finish(ticket, user: "u\(turn)", reply: "a\(turn)", interrupted: false)
        }
        XCTAssertEqual(store.turns(of: "c4").map(\.message.content), ["u3", "a3", "u4", "a4"], "oldest exchanges dropped")
        let busy = store.begin("c4").ticket
        XCTAssertNotNil(busy)
        XCTAssertNil(store.begin("c4").ticket, "one reply at a time")
        let later = ContinuousClock.now + .seconds(120)
        store.finish(busy!, user: "x", reply: "", interrupted: true)
        XCTAssertEqual(store.begin("c4", now: later).ticket?.history, [], "expired after idling")
    }
}

/// Conversation memory stays bounded however large the exchanges (README "Options").
final class ConversationMemoryTests: XCTestCase {
    func testAnExchangeLargerThanAConversationIsKeptCutToFit() {
        var limits = ConversationLimits()
        limits.maxBytes = 1000
        let store = ConversationStore(limits: limits)
        let big = String(repeating: "é", count: 2000)  // 4000 bytes each way
        store.finish(store.begin("big").ticket!, user: big, reply: big, interrupted: false)
        let turns = store.turns(of: "big")
        XCTAssertEqual(turns.count, 2)
        XCTAssertLessThanOrEqual(turns.reduce(0) { $0 + $1.message.content.utf8.count }, 1000)
        XCTAssertTrue(turns.allSatisfy { $0.message.content.hasSuffix("…") && big.hasPrefix($0.message.content.dropLast()) })
        XCTAssertEqual(store.totalBytes, turns.reduce(0) { $0 + $1.message.content.utf8.count })
    }

    func testAllConversationsTogetherStayUnderTheirBound() {
        var limits = ConversationLimits()
        limits.maxTotalBytes = 10_000
        let store = ConversationStore(limits: limits)
        let text = String(repeating: "x", count: 1000)
        for index in 0..<100 { store.finish(store.begin("c\(index)").ticket!, user: text, reply: text, interrupted: false) }
        XCTAssertLessThanOrEqual(store.totalBytes, 10_000)
        XCTAssertEqual(store.count, 5, "the least recently used went first")
        XCTAssertFalse(store.turns(of: "c99").isEmpty)
        XCTAssertTrue(store.turns(of: "c0").isEmpty)
        store.reset("c99")
        XCTAssertEqual(store.totalBytes, 8000)
    }

    /// A client's history (README "History in the request") replaces the stored turns and
    /// their bytes, and counts against the bound of all conversations like any other.
    func testAClientsHistoryReplacesTheTurnsAndTheirBytes() {
        var limits = ConversationLimits()
        limits.maxTotalBytes = 5000
        let store = ConversationStore(limits: limits)
        let text = String(repeating: "x", count: 1000)
        store.finish(store.begin("old").ticket!, user: text, reply: text, interrupted: false)
        store.finish(store.begin("mine").ticket!, user: text, reply: text, interrupted: false)
        XCTAssertEqual(store.totalBytes, 4000)

        let short = [ChatMessage(role: .user, content: "ab"), ChatMessage(role: .assistant, content: "cde")]
        let ticket = store.begin("mine", replacingHistory: short).ticket!
        XCTAssertEqual(ticket.history, short)
        XCTAssertEqual(store.totalBytes, 2005)
        store.finish(ticket, user: "f", reply: "g", interrupted: false)
        XCTAssertEqual(store.turns(of: "mine").map(\.message.content), ["ab", "cde", "f", "g"])
        XCTAssertEqual(store.totalBytes, 2007)

        // Over the bound: the least recently used other conversation goes, never this one.
        let long = [ChatMessage(role: .user, content: String(repeating: "y", count: 4000))]
        XCTAssertEqual(store.begin("mine", replacingHistory: long).ticket?.history, long)
        XCTAssertTrue(store.turns(of: "old").isEmpty)
        XCTAssertEqual(store.totalBytes, 4000)
    }

    /// The issue's probe: 1 MB messages to echo on distinct conversations. Over HTTP, the
    /// store ends at or under its bound however many arrive.
    func testLargeEchoesOnDistinctConversationsStayBounded() throws {
        let (app, port) = try startRunnel {
            $0.conversationLimits.maxTotalBytes = 1 << 19
            $0.replies.maxBytes = 8 << 20
        }
        let message = String(repeating: "word ", count: 20_000)  // 100 KB
        for index in 0..<12 {
            let transcript = try chat(port: port, ["message": message, "backend": "echo", "conversation_id": "m\(index)"])
            XCTAssertEqual(transcript.end?["full_response"] as? String, message)
        }
        XCTAssertLessThanOrEqual(app.conversations.totalBytes, 1 << 19)
    }
}

extension ConversationMemoryTests {
    /// With every conversation streaming, a new one costs O(1): busy conversations leave
    /// the eviction queue instead of being walked on every request (it was quadratic).
    func testManyBusyConversationsAreNotWalkedOnEveryBegin() {
        var limits = ConversationLimits()
        limits.maxConversations = 10
        let store = ConversationStore(limits: limits)
        var tickets: [ConversationStore.Ticket] = []
        for index in 0..<20_000 { tickets.append(store.begin("busy\(index)").ticket!) }
        XCTAssertEqual(store.count, 20_000, "busy conversations are never evicted")
        for ticket in tickets { store.finish(ticket, user: "u", reply: "r", interrupted: false) }
        store.finish(store.begin("new").ticket!, user: "u", reply: "r", interrupted: false)
        XCTAssertLessThanOrEqual(store.count, 20_001)
        XCTAssertFalse(store.turns(of: "new").isEmpty)
        XCTAssertTrue(store.turns(of: "busy0").isEmpty, "once idle, the least recently used went first")
    }
}
