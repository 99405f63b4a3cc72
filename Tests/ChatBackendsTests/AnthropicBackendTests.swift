import TestSupport
import XCTest
@testable import ChatBackends

final class AnthropicBackendTests: XCTestCase {
    func backend(_ server: FakeUpstream, system: String? = nil,
                 timeouts: UpstreamTimeouts = UpstreamTimeouts(connect: 5, firstByte: 5, idle: 5)) -> AnthropicBackend {
        AnthropicBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL + "/", model: "claude-sonnet-4-5"),
                         systemPrompt: system, timeouts: timeouts)
    }

    let start: (type: String?, data: String) = ("message_start",
        #"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"usage":{"input_tokens":25,"cache_read_input_tokens":5,"output_tokens":1}}}"#)

    func text(_ text: String) -> (type: String?, data: String) {
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\#(MockText.jsonString(text))}}"#)
    }

    func testRequestAndDecodedStream() async throws {
        let body = sse([
            start,
            ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            ("ping", #"{"type": "ping"}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#),
            text("Hello"), text(", wörld 🙂"),
            ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
            ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ])
        // The server keeps the connection open after message_stop: the stream must end
        // on the marker, not on the connection closing.
        let server = try fakeUpstream([.head()] + FakeUpstream.Step.pieces(body, sizes: [13, 100, 301, 2, 1, 1]) + [.awaitClientClose])
        let history = [ChatMessage(role: .user, content: "Hi"), ChatMessage(role: .assistant, content: "Hello!")]
        let result = await collect(backend(server, system: "Be brief.").stream(request("Tell me", history: history)))

        XCTAssertNil(result.error)
        XCTAssertEqual(result.text, "Hello, wörld 🙂")
        XCTAssertEqual(result.models, ["claude-sonnet-4-5-20250929"])
        XCTAssertEqual(result.usage, ChatUsage(inputTokens: 30, outputTokens: 15))

        let sent = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(sent.path, "/v1/messages")
        XCTAssertEqual(sent.headers["x-api-key"], testKey)
        XCTAssertEqual(sent.headers["anthropic-version"], "2023-06-01")
        XCTAssertEqual(sent.headers["content-type"], "application/json")
        XCTAssertEqual(sent.json["model"] as? String, "claude-sonnet-4-5")
        XCTAssertEqual(sent.json["max_tokens"] as? Int, 4096)
        XCTAssertEqual(sent.json["stream"] as? Bool, true)
        XCTAssertEqual(sent.json["system"] as? String, "Be brief.")
        let messages = try XCTUnwrap(sent.json["messages"] as? [[String: String]])
        XCTAssertEqual(messages, [["role": "user", "content": "Hi"], ["role": "assistant", "content": "Hello!"],
                                  ["role": "user", "content": "Tell me"]])
    }

    func testSystemMessagesInHistoryJoinTheSystemPrompt() async throws {
        let server = try fakeUpstream([.head(), .text(sse([start, text("ok"), ("message_stop", #"{"type":"message_stop"}"#)]))])
        let history = [ChatMessage(role: .system, content: "Answer in French.")]
        _ = await collect(backend(server, system: "Be brief.").stream(request("hi", history: history)))
        let sent = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(sent.json["system"] as? String, "Be brief.\n\nAnswer in French.")
        XCTAssertEqual((sent.json["messages"] as? [[String: String]])?.count, 1)
    }

    func testOverloadedErrorEventMidStream() async throws {
        let server = try fakeUpstream([.head(), .text(sse([start, text("Hal"),
            ("error", #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.text, "Hal")
        XCTAssertEqual(result.backendError, ChatBackendError(.upstreamUnavailable, "anthropic: Overloaded (overloaded_error)"))
    }

    func testHTTP401IsAuth() async throws {
        let body = #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#
        try await assertHTTPError(status: 401, body: body, expected: .upstreamAuth, quoting: "invalid x-api-key") { self.backend($0) }
    }

    func testHTTP429IsRateLimited() async throws {
        let body = #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#
        try await assertHTTPError(status: 429, body: body, expected: .upstreamRateLimited, quoting: "per-minute rate limit") { self.backend($0) }
    }

    func testHTTP529IsUnavailable() async throws {
        let body = #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
        try await assertHTTPError(status: 529, body: body, expected: .upstreamUnavailable, quoting: "Overloaded") { self.backend($0) }
    }

    func testStreamEndingBeforeMessageStopIsCutShort() async throws {
        let server = try fakeUpstream([.head(), .text(sse([start, text("half")]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.text, "half")
        XCTAssertEqual(result.backendError, ChatBackendError(.upstreamUnavailable, "anthropic: the stream ended before message_stop"))
    }

    func testSilenceAfterHeadersTimesOut() async throws {
        try await assertSilenceAfterHeadersTimesOut { self.backend($0, timeouts: $1) }
    }

    func testCancellingClosesTheUpstream() async throws {
        try await assertCancellingClosesTheUpstream({ self.backend($0) }, firstEvent: sse([start, text("Hello")]))
    }
}
