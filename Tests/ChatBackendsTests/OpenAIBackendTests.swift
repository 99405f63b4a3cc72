import TestSupport
import XCTest
@testable import ChatBackends

final class OpenAIBackendTests: XCTestCase {
    func backend(_ server: FakeUpstream, key: String? = testKey, system: String? = nil,
                 timeouts: UpstreamTimeouts = UpstreamTimeouts(connect: 5, firstByte: 5, idle: 5)) -> OpenAIBackend {
        OpenAIBackend(settings: ProviderSettings(apiKey: key, baseURL: server.baseURL + "/v1/", model: "gpt-4o-mini"),
                      systemPrompt: system, timeouts: timeouts)
    }

    func chunk(_ content: String?, finish: String? = nil) -> String {
        let delta = content.map { #"{"content":\#(MockText.jsonString($0))}"# } ?? "{}"
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return #"{"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(reason)}],"usage":null}"#
    }

    func testRequestAndDecodedStreamWithAwkwardSplits() async throws {
        let body = sse([
            #"{"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            chunk("Hello "), chunk("wörld 🙂"), chunk(" 日本", finish: nil), chunk(nil, finish: "stop"),
            #"{"id":"c1","object":"chat.completion.chunk","model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":21,"completion_tokens":4,"total_tokens":25}}"#,
            "[DONE]",
        ], lineEnding: "\r\n")
        // Splits fall mid-line, between CR and LF, and inside multi-byte characters.
        let emoji = Array(body.utf8).firstRange(of: Array("🙂".utf8))!.lowerBound
        let server = try fakeUpstream([.head()] + FakeUpstream.Step.pieces(body, sizes: [7, 150, emoji + 2 - 157, 3, 1, 40]))
        let history = [ChatMessage(role: .user, content: "Hi"), ChatMessage(role: .assistant, content: "Hello!")]
        let result = await collect(backend(server, system: "Be brief.").stream(request("Tell me 🙂", history: history)))

        XCTAssertNil(result.error)
        XCTAssertEqual(result.text, "Hello wörld 🙂 日本")
        XCTAssertEqual(result.models, ["gpt-4o-mini-2024-07-18"])
        XCTAssertEqual(result.usage, ChatUsage(inputTokens: 21, outputTokens: 4))

        let sent = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(sent.method, "POST")
        XCTAssertEqual(sent.path, "/v1/chat/completions")
        XCTAssertEqual(sent.headers["authorization"], "Bearer \(testKey)")
        XCTAssertEqual(sent.headers["content-type"], "application/json")
        XCTAssertEqual(sent.headers["accept"], "text/event-stream")
        XCTAssertEqual(sent.json["model"] as? String, "gpt-4o-mini")
        XCTAssertEqual(sent.json["stream"] as? Bool, true)
        XCTAssertEqual((sent.json["stream_options"] as? [String: Any])?["include_usage"] as? Bool, true)
        let messages = try XCTUnwrap(sent.json["messages"] as? [[String: String]])
        XCTAssertEqual(messages.map { $0["role"] }, ["system", "user", "assistant", "user"])
        XCTAssertEqual(messages.map { $0["content"] }, ["Be brief.", "Hi", "Hello!", "Tell me 🙂"])
    }

    func testRequestSystemPromptOverridesTheConfiguredOne() async throws {
        let server = try fakeUpstream([.head(), .text(sse([chunk("ok", finish: "stop"), "[DONE]"]))])
        _ = await collect(backend(server, system: "configured").stream(request("hi", system: "per request")))
        let messages = try XCTUnwrap(server.requests.first?.json["messages"] as? [[String: String]])
        XCTAssertEqual(messages.first, ["role": "system", "content": "per request"])
    }

    func testNoKeySendsNoAuthorizationHeader() async throws {
        let server = try fakeUpstream([.head(), .text(sse([chunk("ok", finish: "stop"), "[DONE]"]))])
        let result = await collect(backend(server, key: nil).stream(request("hi")))
        XCTAssertEqual(result.text, "ok")
        XCTAssertNil(server.requests.first?.headers["authorization"])
        XCTAssertNil((server.requests.first?.json["messages"] as? [[String: String]])?.first { $0["role"] == "system" })
    }

    func testDeltasArriveBeforeTheStreamEnds() async throws {
        let server = try fakeUpstream([.head(), .text(sse([chunk("first")])), .waitForSignal,
                                       .text(sse([chunk(" second", finish: "stop"), "[DONE]"]))])
        var text = ""
        for try await event in backend(server).stream(request("hi")) {
            if case .delta(let delta) = event { text += delta }
            if text == "first" { server.signal() }
        }
        XCTAssertEqual(text, "first second")
    }

    func testHTTP401IsAuthAndTheKeyIsRedacted() async throws {
        let body = #"{"error":{"message":"Incorrect API key provided: \#(testKey). You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}}"#
        try await assertHTTPError(status: 401, body: body, expected: .upstreamAuth, quoting: "Incorrect API key provided: [redacted]") { self.backend($0) }
    }

    func testHTTP429IsRateLimited() async throws {
        let body = #"{"error":{"message":"Rate limit reached for gpt-4o-mini","type":"requests","code":"rate_limit_exceeded"}}"#
        try await assertHTTPError(status: 429, body: body, expected: .upstreamRateLimited, quoting: "Rate limit reached") { self.backend($0) }
    }

    func testHTTP500IsUnavailable() async throws {
        try await assertHTTPError(status: 500, body: #"{"error":"llama runner process has terminated"}"#,
                                  expected: .upstreamUnavailable, quoting: "llama runner process has terminated") { self.backend($0) }
    }

    func testHTTP404QuotesTheServer() async throws {
        try await assertHTTPError(status: 404, body: #"{"error":{"message":"model \"nope\" not found, try pulling it first","type":"api_error"}}"#,
                                  expected: .upstreamProtocol, quoting: "model \"nope\" not found") { self.backend($0) }
    }

    func testErrorObjectInsideTheStreamAfterSomeText() async throws {
        let server = try fakeUpstream([.head(), .text(sse([chunk("partial"),
            #"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.text, "partial")
        XCTAssertEqual(result.backendError?.code, .upstreamUnavailable)
        XCTAssertEqual(result.backendError?.message, "openai: The server had an error while processing your request. (server_error)")
    }

    func testNumericErrorCodeInStream() async throws {
        let server = try fakeUpstream([.head(), .text(sse([#"{"object":"error","message":"too many","type":"BadRequest","code":429}"#,
            #"{"error":{"message":"slow down","code":429}}"#]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.backendError?.code, .upstreamRateLimited, result.backendError?.message ?? "")
    }

    func testStreamCutShortIsUnavailable() async throws {
        let server = try fakeUpstream([.head(), .text(sse([chunk("half a rep")]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.text, "half a rep")
        XCTAssertEqual(result.backendError?.code, .upstreamUnavailable)
    }

    func testFinishedStreamWithoutDoneIsFine() async throws {
        let server = try fakeUpstream([.head(), .text(sse([chunk("all", finish: "stop")]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.text, "all")
    }

    func testGarbageEventIsAProtocolError() async throws {
        let server = try fakeUpstream([.head(), .text("data: <html>oops</html>\n\n")])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.backendError?.code, .upstreamProtocol)
        XCTAssertTrue(result.backendError?.message.contains("<html>oops</html>") ?? false)
    }

    func testJSONInsteadOfAStreamIsAProtocolError() async throws {
        let server = try fakeUpstream([.head(contentType: "application/json"), .text(#"{"error":"stream not supported"}"#)])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.backendError, ChatBackendError(.upstreamProtocol, "openai: stream not supported"))
    }

    func testConnectionRefusedIsUnavailable() async throws {
        let port = try unusedPort()
        let backend = OpenAIBackend(settings: ProviderSettings(baseURL: "http://127.0.0.1:\(port)/v1", model: "m"))
        let result = await collect(backend.stream(request("hi")))
        XCTAssertEqual(result.backendError?.code, .upstreamUnavailable)
    }

    func testInvalidBaseURL() async {
        let backend = OpenAIBackend(settings: ProviderSettings(baseURL: "localhost:11434", model: "m"))
        let result = await collect(backend.stream(request("hi")))
        XCTAssertEqual(result.backendError?.code, .upstreamUnavailable)
        XCTAssertTrue(result.backendError?.message.contains("\"localhost:11434\" is not an http(s) URL") ?? false)
    }

    func testSilenceAfterHeadersTimesOut() async throws {
        try await assertSilenceAfterHeadersTimesOut { self.backend($0, timeouts: $1) }
    }

    func testBreakingOutOfTheLoopClosesTheUpstream() async throws {
        let server = try fakeUpstream([.head(), .text(sse([chunk("Hello")])), .awaitClientClose])
        let backend = backend(server)
        let consumer = Task {
            // The stream lives only inside this task, so leaving the loop releases it.
            for try await event in backend.stream(request("hi")) {
                if case .delta = event { break }
            }
        }
        try await consumer.value
        await fulfillment(of: [server.clientClosed], timeout: 1)
    }

    func testCancellingClosesTheUpstream() async throws {
        try await assertCancellingClosesTheUpstream({ self.backend($0) }, firstEvent: sse([chunk("Hello")]))
    }
}
