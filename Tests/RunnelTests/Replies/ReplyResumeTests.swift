import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// Reading a reply again: from the start, from the middle, after its end, by two readers.
final class ReplyResumeTests: XCTestCase {
    private let words = "one two three four five six seven eight"

    func testEveryPostStreamNamesItsReplyAndThePlainStreamCarriesNoIDs() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": words, "backend": "echo", "conversation_id": "plain"])
        let id = try XCTUnwrap(transcript.replyID)
        XCTAssertTrue(ReplyID.isValid(id), "128 random bits as 32 hex digits: \(id)")
        XCTAssertFalse(String(decoding: transcript.raw, as: UTF8.self).contains("id:"), "the seed client's stream is unchanged")
        XCTAssertTrue(String(decoding: transcript.raw, as: UTF8.self).hasPrefix("data: {\"chunk\":\"one \"}\n\n"))
        let other = try chat(port: port, ["message": words, "backend": "echo", "conversation_id": "plain"])
        XCTAssertNotEqual(other.replyID, id)
    }

    func testResumeFromTheStartTheMiddleAndAfterTheEnd() throws {
        let (_, port) = try startRunnel()
        let live = try chat(port: port, ["message": words, "backend": "echo", "conversation_id": "resume", "resumable": true])
        let id = try XCTUnwrap(live.replyID)
        XCTAssertEqual(live.ids, (1...live.events.count).map(String.init), "a resumable stream numbers its events")
        XCTAssertEqual(live.chunks.joined(), words)

        let again = try replyEvents(port: port, id)
        XCTAssertEqual(again.response.status, 200)
        XCTAssertEqual(again.identified, live.identified, "from the start: the same events, ids and all")
        XCTAssertEqual(again.chunks.joined(), again.end?["full_response"] as? String)
        XCTAssertTrue(String(decoding: again.raw, as: UTF8.self).hasPrefix("retry: 1000\n\n"))

        let byHeader = try replyEvents(port: port, id, lastEventID: "3")
        XCTAssertEqual(byHeader.identified, Array(live.identified.dropFirst(3)))
        XCTAssertEqual(live.chunks.prefix(3).joined() + byHeader.chunks.joined(), words)
        let byQuery = try replyEvents(port: port, id, query: "?after=3")
        XCTAssertEqual(byQuery.identified, byHeader.identified)

        let atEnd = try replyEvents(port: port, id, lastEventID: String(live.events.count))
        XCTAssertEqual(atEnd.response.status, 204, "after the last event of a finished reply: nothing to reconnect for")
        let pastEnd = try replyEvents(port: port, id, query: "?after=\(live.events.count + 1)")
        XCTAssertEqual(pastEnd.response.status, 400)
        XCTAssertEqual(pastEnd.response.errorCode, "invalid_request")
        XCTAssertEqual(try replyEvents(port: port, id, query: "?after=-1").response.status, 400)
    }

    /// README "Replies": `Last-Event-ID` (the header a reconnecting `EventSource` sends)
    /// at the last event of a finished reply is 204, past it 400; on a reply still
    /// streaming, at its last event the stream waits for the next one.
    func testLastEventIDAtAndPastTheEnd() throws {
        let (_, port) = try startRunnel()
        let live = try chat(port: port, ["message": words, "backend": "echo", "conversation_id": "header", "resumable": true])
        let id = try XCTUnwrap(live.replyID)
        let last = live.events.count

        let atLast = try replyEvents(port: port, id, lastEventID: String(last))
        XCTAssertEqual(atLast.response.status, 204, "after the last event of a finished reply")
        XCTAssertEqual(atLast.response.header("X-Reply-Id"), id)
        XCTAssertTrue(atLast.events.isEmpty && atLast.response.body.isEmpty)
        let beforeLast = try replyEvents(port: port, id, lastEventID: String(last - 1))
        XCTAssertEqual(beforeLast.response.status, 200)
        XCTAssertEqual(beforeLast.identified, [try XCTUnwrap(live.identified.last)], "only the end event")
        for past in [last + 1, last + 1000] {
            let answer = try replyEvents(port: port, id, lastEventID: String(past))
            XCTAssertEqual(answer.response.status, 400, "Last-Event-ID \(past)")
            XCTAssertEqual(answer.response.errorCode, "invalid_request")
            XCTAssertTrue(String(decoding: answer.response.body, as: UTF8.self).contains("past the last event"))
        }
        let header = try replyEvents(port: port, id, lastEventID: String(last + 1), query: "?after=0")
        XCTAssertEqual(header.response.status, 400, "the header wins over ?after=")
        XCTAssertEqual(try replyEvents(port: port, id, lastEventID: "three").response.status, 400)

        // A reply still streaming, with exactly one event in its log.
        let upstream = try fakeUpstream([.head(), .text(#"data: {"choices":[{"delta":{"content":"first "}}]}"# + "\n\n"), .awaitClientClose])
        let (app, openAIPort) = try startRunnel(environment: ["OPENAI_API_KEY": "sk-reply-test-key-0123456789"]) {
            $0.backend = "openai"
            $0.baseURL = upstream.baseURL + "/v1"
        }
        let client = try TestClient(port: openAIPort)
        try client.postMessage(["message": "go on", "conversation_id": "live", "resumable": true])
        let streaming = try XCTUnwrap(try client.readResponse(bodyless: true).header("X-Reply-Id"))
        let reply = try XCTUnwrap(app.replies.reply(streaming))
        XCTAssertTrue(eventually { reply.eventCount == 1 })
        let pastLive = try replyEvents(port: openAIPort, streaming, lastEventID: "2")
        XCTAssertEqual(pastLive.response.status, 400, "past the last event so far")
        let follower = try TestClient(port: openAIPort)
        try follower.getReplyEvents(streaming, lastEventID: "1")
        let followerHead = try follower.readResponse(bodyless: true)
        XCTAssertEqual(followerHead.status, 200, "at the last event so far: it follows the reply live")
        XCTAssertEqual(try TestClient(port: openAIPort).stopReply(streaming).json?["stopped"] as? Bool, true)
        let rest = try follower.readChat(afterHead: followerHead)
        XCTAssertEqual(rest.ids, ["2"], "only what came after event 1")
        XCTAssertEqual(rest.end?["stopped"] as? Bool, true)
        XCTAssertEqual(rest.end?["full_response"] as? String, "first ")
    }

    func testALogLargerThanOnePieceIsReadWholeInOrder() throws {
        let (_, port) = try startRunnel()
        let message = (0..<8_000).map { "w\($0)" }.joined(separator: " ")  // > Reply.maxPieceBytes of events
        let live = try chat(port: port, ["message": message, "backend": "echo", "conversation_id": "big", "resumable": true])
        XCTAssertGreaterThan(live.raw.count, Reply.maxPieceBytes)
        XCTAssertEqual(live.chunks.joined(), message)
        let again = try replyEvents(port: port, try XCTUnwrap(live.replyID))
        XCTAssertEqual(again.identified, live.identified)
    }

    func testUnknownAndMalformedIDs() throws {
        let (_, port) = try startRunnel()
        let unknown = try replyEvents(port: port, String(repeating: "ab", count: 16))
        XCTAssertEqual(unknown.response.status, 404)
        XCTAssertEqual(unknown.response.errorCode, "reply_not_found")
        let malformed = try replyEvents(port: port, "not-an-id")
        XCTAssertEqual(malformed.response.status, 400)
        XCTAssertEqual(malformed.response.errorCode, "invalid_reply_id")
        let stop = try TestClient(port: port).stopReply("ABCDEF")
        XCTAssertEqual(stop.status, 400)
        XCTAssertEqual(stop.errorCode, "invalid_reply_id")
        XCTAssertEqual(try TestClient(port: port).stopReply(String(repeating: "0", count: 32)).status, 404)
    }

    func testAResumableReplyOutlivesItsReaderAndIsPickedUpMidStream() throws {
        let (app, port) = try startRunnel()
        let client = try TestClient(port: port)
        try client.postMessage(["message": words, "backend": "echo", "conversation_id": "reload", "delay_ms": 40, "resumable": true])
        let head = try client.readResponse(bodyless: true)
        let id = try XCTUnwrap(head.header("X-Reply-Id"))
        var parser = EventStreamParser()
        var seen: [EventStreamParser.Event] = []
        while seen.isEmpty { seen = parser.feed(try client.receiveSome()) }
        client.abort()  // a page reload: the reader leaves, the reply goes on

        let resumed = try replyEvents(port: port, id, lastEventID: seen.last?.id)
        let firstChunks = try seen.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any])["chunk"] as? String ?? "" }
        XCTAssertEqual(firstChunks.joined() + resumed.chunks.joined(), words, "no chunk lost, none doubled")
        XCTAssertEqual(resumed.end?["full_response"] as? String, words)
        XCTAssertNil(resumed.end?["error"])
        let turns = app.conversations.turns(of: "reload")
        XCTAssertEqual(turns.last?.message.content, words, "recorded whole")
        XCTAssertEqual(turns.last?.interrupted, false)
    }

    func testTwoReadersAtDifferentSpeedsGetIdenticalStreams() throws {
        let (_, port) = try startRunnel()
        let fast = try TestClient(port: port)
        try fast.postMessage(["message": words, "backend": "echo", "conversation_id": "two", "delay_ms": 5, "resumable": true])
        let head = try fast.readResponse(bodyless: true)
        let id = try XCTUnwrap(head.header("X-Reply-Id"))
        let slow = try TestClient(port: port, receiveBuffer: 1024)
        try slow.getReplyEvents(id)  // attached now, read only once the fast one is done
        let fastTranscript = try fast.readChat(afterHead: head)
        let slowTranscript = try slow.readChat()
        XCTAssertEqual(slowTranscript.identified, fastTranscript.identified)
        XCTAssertEqual(fastTranscript.chunks.joined(), words)
    }

    func testTheConversationNamesTheReplyInFlight() throws {
        let (_, port) = try startRunnel()
        let first = try TestClient(port: port)
        try first.postMessage(["message": "/hang", "conversation_id": "busy"])
        let head = try first.readResponse(bodyless: true)
        let id = try XCTUnwrap(head.header("X-Reply-Id"))

        let busy = try chat(port: port, ["message": "next", "conversation_id": "busy"])
        XCTAssertEqual(busy.response.status, 409)
        XCTAssertEqual(busy.response.errorCode, "conversation_busy")
        XCTAssertEqual((busy.response.json?["error"] as? [String: Any])?["reply_id"] as? String, id)

        let client = try TestClient(port: port)
        try client.send("GET /api/conversations/busy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let conversation = try XCTUnwrap(client.readResponse().json)
        let reply = try XCTUnwrap(conversation["reply"] as? [String: Any])
        XCTAssertEqual(reply["id"] as? String, id)
        XCTAssertEqual(reply["message"] as? String, "/hang")

        let missing = try TestClient(port: port)
        try missing.send("GET /api/conversations/nobody HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        XCTAssertEqual(try missing.readResponse().status, 404)
    }

    func testOnAPublicBindRequestsWithoutAConversationShareNothing() throws {
        let (app, port) = try startRunnel { $0.host = "0.0.0.0"; $0.accessToken = "test-token-0123456789abcdef" }
        let token = ["Authorization": "Bearer test-token-0123456789abcdef"]
        let first = try chat(port: port, ["message": "secret one", "backend": "echo"], headers: token)
        let second = try chat(port: port, ["message": "two", "backend": "echo"], headers: token)
        let firstID = try XCTUnwrap(first.end?["conversation_id"] as? String)
        XCTAssertNotEqual(firstID, "default")
        XCTAssertNotEqual(second.end?["conversation_id"] as? String, firstID)
        XCTAssertTrue(app.conversations.turns(of: "default").isEmpty)
    }
}

