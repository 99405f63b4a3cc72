import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// The request options of `POST /api/message` (README "The wire format", "History in the
/// request"): `system`, `temperature`, `max_tokens`, `model` reach the upstream in its own
/// fields; `history` replaces the stored history, which makes edit-and-resend branches.
final class RequestOptionsTests: XCTestCase {
    private let reply = #"data: {"model":"fake-model-2025","choices":[{"delta":{"content":"Sure."},"finish_reason":"stop"}]}"# + "\n\ndata: [DONE]\n\n"

    /// Runnel on an `openai` backend whose upstream answers every call with "Sure.".
    private func startOpenAI(configure: (inout RunnelConfiguration) -> Void = { _ in }) throws -> (FakeUpstream, Int) {
        let upstream = try fakeUpstream([.head(), .text(reply)])
        let port = try startRunnel(environment: ["OPENAI_API_KEY": "sk-options-test-0123456789"]) { configuration in
            configuration.backend = "openai"
            configuration.baseURL = upstream.baseURL + "/v1"
            configuration.model = "fake-model"
            configuration.system = "Be brief."
            configure(&configuration)
        }.1
        return (upstream, port)
    }

    private func messages(_ request: FakeUpstream.RecordedRequest?) -> [[String: String]] {
        (request?.json["messages"] as? [[String: String]]) ?? []
    }

    private func conversation(_ port: Int, _ id: String) throws -> [[String: String]] {
        let response = try exchange(port: port, "GET", "/api/conversations/\(id)")
        XCTAssertEqual(response.status, 200, response.text)
        let turns = response.json?["messages"] as? [[String: Any]] ?? []
        return turns.map { ["role": $0["role"] as? String ?? "", "content": $0["content"] as? String ?? ""] }
    }

    private func post(_ port: Int, _ json: String) throws -> TestResponse {
        try exchange(port: port, "POST", "/api/message", json: json)
    }

    // MARK: Generation options

    func testOptionsReachTheUpstreamInItsOwnFields() throws {
        let (upstream, port) = try startOpenAI()
        let transcript = try chat(port: port, ["message": "Hi", "conversation_id": "options", "system": "Answer in French.",
                                               "temperature": 0.3, "max_tokens": 50, "model": "other-model"])
        XCTAssertEqual(transcript.chunks.joined(), "Sure.")
        let sent = try XCTUnwrap(upstream.requests.first)
        XCTAssertEqual(sent.json["model"] as? String, "other-model")
        XCTAssertEqual(sent.json["temperature"] as? Double, 0.3)
        XCTAssertEqual(sent.json["max_tokens"] as? Int, 50)
        XCTAssertEqual(messages(sent), [["role": "system", "content": "Answer in French."], ["role": "user", "content": "Hi"]])
    }

    func testWithoutOptionsTheUpstreamGetsTheConfiguredOnesAndNoOthers() throws {
        let (upstream, port) = try startOpenAI()
        _ = try chat(port: port, ["message": "Hi", "conversation_id": "plain"])
        let sent = try XCTUnwrap(upstream.requests.first)
        XCTAssertEqual(sent.json["model"] as? String, "fake-model")
        XCTAssertNil(sent.json["temperature"])
        XCTAssertNil(sent.json["max_tokens"])
        XCTAssertEqual(messages(sent), [["role": "system", "content": "Be brief."], ["role": "user", "content": "Hi"]])
    }

    func testAnEmptySystemPromptSendsNone() throws {
        let (upstream, port) = try startOpenAI()
        _ = try chat(port: port, ["message": "Hi", "conversation_id": "nosystem", "system": ""])
        XCTAssertEqual(messages(upstream.requests.first), [["role": "user", "content": "Hi"]])
    }

    func testTheMockCutsItsReplyAtMaxTokens() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "/long 40", "conversation_id": "short", "max_tokens": 7])
        XCTAssertEqual(transcript.chunks.count, 7)
        XCTAssertEqual(transcript.end?["finish_reason"] as? String, "length")
        XCTAssertEqual(transcript.end?["full_response"] as? String, transcript.chunks.joined())
    }

    func testALocalBackendKeepsItsOneModel() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "hello", "conversation_id": "local", "model": "gpt-4o"])
        XCTAssertEqual(transcript.end?["backend"] as? String, "mock")
        XCTAssertEqual(transcript.end?["model"] as? String, "mock-1")
    }

    func testBadValuesAre400NamingTheField() throws {
        let (_, port) = try startRunnel { $0.conversationLimits.maxTurns = 4 }
        let cases: [(body: String, field: String)] = [
            (#""temperature": 2.5"#, "'temperature'"), (#""temperature": -0.1"#, "'temperature'"),
            (#""temperature": "hot""#, "'temperature'"), (#""temperature": true"#, "'temperature'"),
            (#""max_tokens": 0"#, "'max_tokens'"), (#""max_tokens": 1.5"#, "'max_tokens'"),
            (#""max_tokens": "5""#, "'max_tokens'"), (#""max_tokens": \#(MessageRequest.maxTokensRange.upperBound + 1)"#, "'max_tokens'"),
            (#""system": 5"#, "'system'"), (#""system": "\#(String(repeating: "s", count: MessageRequest.maxSystemBytes + 1))""#, "'system'"),
            (#""model": """#, "'model'"), (#""model": 5"#, "'model'"),
            (#""model": "\#(String(repeating: "m", count: MessageRequest.maxModelBytes + 1))""#, "'model'"),
            (#""history": "earlier""#, "'history'"), (#""history": [1]"#, "'history[0]'"),
            (#""history": [{"role": "system", "content": "x"}]"#, "'history[0].role'"),
            (#""history": [{"content": "x"}]"#, "'history[0].role'"),
            (#""history": [{"role": "user", "content": "ok"}, {"role": "assistant", "content": ""}]"#, "'history[1].content'"),
            (#""history": [{"role": "user"}]"#, "'history[0].content'"),
            (#""history": [{"role": "user", "content": 5}]"#, "'history[0].content'"),
        ]
        for (fields, field) in cases {
            let response = try post(port, #"{"message": "hi", "conversation_id": "bad", \#(fields)}"#)
            XCTAssertEqual(response.status, 400, fields)
            XCTAssertEqual(response.errorCode, "invalid_request", fields)
            let message = (response.json?["error"] as? [String: Any])?["message"] as? String ?? ""
            XCTAssertTrue(message.contains(field), "\(fields) → \(message)")
        }
        XCTAssertEqual(try exchange(port: port, "GET", "/api/conversations/bad").status, 404, "nothing was recorded")
    }

    func testTheBoundsThemselvesAreAccepted() throws {
        let (_, port) = try startRunnel()
        for fields in [#""temperature": 0, "max_tokens": 1"#, #""temperature": 2, "max_tokens": \#(MessageRequest.maxTokensRange.upperBound)"#,
                       #""temperature": null, "max_tokens": null, "system": null, "model": null, "history": null"#] {
            let transcript = try chat(port: port, try XCTUnwrap(JSONSerialization.jsonObject(
                with: Data(#"{"message": "one two", "backend": "echo", "conversation_id": "bounds", \#(fields)}"#.utf8)) as? [String: Any]))
            XCTAssertEqual(transcript.response.status, 200, fields)
            XCTAssertEqual(transcript.chunks.joined(), "one two", fields)
        }
    }

    // MARK: History in the request

    func testHistoryReplacesTheStoredHistory() throws {
        let (upstream, port) = try startOpenAI()
        _ = try chat(port: port, ["message": "first", "conversation_id": "h"])
        let history = [["role": "user", "content": "A"], ["role": "assistant", "content": "B"]]
        let transcript = try chat(port: port, ["message": "C", "conversation_id": "h", "history": history])
        XCTAssertEqual(transcript.chunks.joined(), "Sure.")
        XCTAssertEqual(upstream.requests.count, 2)
        XCTAssertEqual(messages(upstream.requests.last),
                       [["role": "system", "content": "Be brief."]] + history + [["role": "user", "content": "C"]],
                       "the upstream receives exactly the history and the message")
        XCTAssertEqual(try conversation(port, "h"), history + [["role": "user", "content": "C"], ["role": "assistant", "content": "Sure."]])
    }

    func testAnEmptyHistoryStartsTheConversationOver() throws {
        let (upstream, port) = try startOpenAI()
        _ = try chat(port: port, ["message": "first", "conversation_id": "over"])
        _ = try chat(port: port, ["message": "again", "conversation_id": "over", "history": [[String: String]]()])
        XCTAssertEqual(messages(upstream.requests.last), [["role": "system", "content": "Be brief."], ["role": "user", "content": "again"]])
    }

    /// Any instance can answer: one that never saw the conversation continues it from the
    /// client's history.
    func testAnUnknownConversationContinuesFromTheClientsHistory() throws {
        let (_, port) = try startRunnel()
        let history = [["role": "user", "content": "I like otters"], ["role": "assistant", "content": "Otters are great."]]
        let transcript = try chat(port: port, ["message": "What did I say?", "conversation_id": "elsewhere", "history": history])
        let reply = try XCTUnwrap(transcript.end?["full_response"] as? String)
        XCTAssertTrue(reply.contains("message 2"), reply)
        XCTAssertTrue(reply.contains("I like otters"), reply)
    }

    /// Edit-and-resend: the edited second message goes with the history before it; the
    /// conversation then holds that branch, not the turns after the edit.
    func testEditingAMessageInTheMiddleMakesABranch() throws {
        let (_, port) = try startRunnel()
        for text in ["one", "two", "three"] { _ = try chat(port: port, ["message": text, "conversation_id": "edit"]) }
        let before = try conversation(port, "edit")
        XCTAssertEqual(before.count, 6)
        XCTAssertTrue(before[5]["content"]?.contains("message 3") ?? false)

        let upToTheEdit = Array(before.prefix(2))
        let transcript = try chat(port: port, ["message": "two, edited", "conversation_id": "edit", "history": upToTheEdit])
        let reply = try XCTUnwrap(transcript.end?["full_response"] as? String)
        XCTAssertTrue(reply.contains("message 2"), "the mock counts the branch's turns: \(reply)")
        XCTAssertTrue(reply.contains("one"), "and quotes the message before the edit: \(reply)")

        let after = try conversation(port, "edit")
        XCTAssertEqual(after, upToTheEdit + [["role": "user", "content": "two, edited"], ["role": "assistant", "content": reply]])
        XCTAssertFalse(after.contains { $0["content"] == "three" })
    }

    func testAHistoryLargerThanAConversationIsRefused() throws {
        let (app, port) = try startRunnel {
            $0.conversationLimits.maxTurns = 4
            $0.conversationLimits.maxBytes = 100
        }
        let turn = { (index: Int) in ["role": index % 2 == 0 ? "user" : "assistant", "content": "turn \(index)"] }
        let fits = try chat(port: port, ["message": "hi", "conversation_id": "big", "history": (0..<4).map(turn)])
        XCTAssertEqual(fits.response.status, 200)
        let stored = app.conversations.turns(of: "big")
        XCTAssertFalse(stored.isEmpty)

        let tooMany = try post(port, String(decoding: try JSONSerialization.data(withJSONObject: [
            "message": "hi", "conversation_id": "big", "history": (0..<5).map(turn)]), as: UTF8.self))
        XCTAssertEqual(tooMany.status, 413, tooMany.text)
        XCTAssertEqual(tooMany.errorCode, "history_too_large")
        XCTAssertTrue(tooMany.text.contains("--max-turns"), tooMany.text)

        let tooLong = try post(port, String(decoding: try JSONSerialization.data(withJSONObject: [
            "message": "hi", "conversation_id": "big",
            "history": [["role": "user", "content": String(repeating: "x", count: 101)]]]), as: UTF8.self))
        XCTAssertEqual(tooLong.status, 413, tooLong.text)
        XCTAssertEqual(tooLong.errorCode, "history_too_large")
        XCTAssertTrue(tooLong.text.contains("--max-conversation-bytes"), tooLong.text)
        XCTAssertEqual(app.conversations.turns(of: "big"), stored, "the refused ones changed nothing")
    }

    func testABusyConversationRefusesAHistoryAndKeepsItsOwn() throws {
        let (app, port) = try startRunnel()
        let streaming = try TestClient(port: port)
        try streaming.postMessage(["message": "a b c d e f", "backend": "echo", "delay_ms": 5000, "conversation_id": "busy"])
        XCTAssertEqual(try streaming.readResponse(bodyless: true).status, 200)
        let response = try post(port, #"{"message": "x", "conversation_id": "busy", "history": [{"role": "user", "content": "other"}]}"#)
        XCTAssertEqual(response.status, 409)
        XCTAssertEqual(response.errorCode, "conversation_busy")
        XCTAssertEqual(app.conversations.turns(of: "busy"), [])
        streaming.abort()
    }

    /// A request without the new fields streams exactly as before: the seed client's
    /// stream has no new events or fields, and options add none either.
    func testTheDefaultStreamIsUnchanged() throws {
        let (_, port) = try startRunnel()
        for extra in [[:], ["temperature": 1, "max_tokens": 100, "system": "x", "history": [[String: String]]()]] as [[String: Any]] {
            let body = ["message": "one two", "backend": "echo", "conversation_id": "same"].merging(extra) { $1 }
            let transcript = try chat(port: port, body)
            XCTAssertEqual(transcript.chunks, ["one ", "two"])
            XCTAssertEqual(transcript.events.count, 3)
            XCTAssertEqual(Set(try XCTUnwrap(transcript.end).keys),
                           ["end", "full_response", "backend", "model", "conversation_id", "first_chunk_ms", "elapsed_ms"])
            XCTAssertFalse(String(decoding: transcript.raw, as: UTF8.self).contains("id:"))
        }
    }
}
