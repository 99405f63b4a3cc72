import TestSupport
import XCTest
@testable import ChatBackends

final class GeminiBackendTests: XCTestCase {
    func backend(_ server: FakeUpstream, model: String = "gemini-2.5-flash", system: String? = nil,
                 timeouts: UpstreamTimeouts = UpstreamTimeouts(connect: 5, firstByte: 5, idle: 5)) -> GeminiBackend {
        GeminiBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL, model: model),
                      systemPrompt: system, timeouts: timeouts)
    }

    func response(_ texts: [String], finish: String? = nil, usage: (Int, Int)? = (9, 3)) -> String {
        let parts = texts.map { #"{"text":\#(MockText.jsonString($0))}"# }.joined(separator: ",")
        let reason = finish.map { #","finishReason":"\#($0)""# } ?? ""
        let metadata = usage.map { #","usageMetadata":{"promptTokenCount":\#($0.0),"candidatesTokenCount":\#($0.1),"totalTokenCount":\#($0.0 + $0.1)}"# } ?? ""
        return #"{"candidates":[{"content":{"parts":[\#(parts)],"role":"model"},"index":0\#(reason)}]\#(metadata),"modelVersion":"gemini-2.5-flash-001","responseId":"r1"}"#
    }

    func testRequestAndDecodedStream() async throws {
        let body = sse([response(["Hel"]), response(["lo, ", "wörld"]), response([" 🙂"], finish: "STOP", usage: (9, 5))], lineEnding: "\r\n")
        let server = try fakeUpstream([.head()] + FakeUpstream.Step.pieces(body, sizes: [5, 200, 1, 1, 2]))
        let history = [ChatMessage(role: .user, content: "Hi"), ChatMessage(role: .assistant, content: "Hello!"),
                       ChatMessage(role: .user, content: "Again"), ChatMessage(role: .assistant, content: "")]
        let result = await collect(backend(server, system: "Be brief.").stream(request("Tell me", history: history)))

        XCTAssertNil(result.error)
        XCTAssertEqual(result.text, "Hello, wörld 🙂")
        XCTAssertEqual(result.models, ["gemini-2.5-flash-001"])
        XCTAssertEqual(result.usage, ChatUsage(inputTokens: 9, outputTokens: 5))
        // Unchanged totals are not repeated: (9,3) then (9,5).
        XCTAssertEqual(result.events.filter { if case .usage = $0 { true } else { false } }.count, 2)

        let sent = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(sent.path, "/v1beta/models/gemini-2.5-flash:streamGenerateContent")
        XCTAssertEqual(sent.query, "alt=sse")
        XCTAssertEqual(sent.headers["x-goog-api-key"], testKey)
        XCTAssertFalse(sent.target.contains(testKey), "the key must not be in the URL")
        let contents = try XCTUnwrap(sent.json["contents"] as? [[String: Any]])
        XCTAssertEqual(contents.map { $0["role"] as? String }, ["user", "model", "user", "user"], "empty turns are dropped")
        XCTAssertEqual(contents.map { (($0["parts"] as? [[String: String]])?.first?["text"]) }, ["Hi", "Hello!", "Again", "Tell me"])
        let instruction = try XCTUnwrap(sent.json["systemInstruction"] as? [String: Any])
        XCTAssertEqual((instruction["parts"] as? [[String: String]])?.first?["text"], "Be brief.")
    }

    func testModelsPrefixIsAcceptedAndNoSystemInstructionWhenUnset() async throws {
        let server = try fakeUpstream([.head(), .text(sse([response(["ok"], finish: "STOP")]))])
        _ = await collect(backend(server, model: "models/gemini-2.0-flash").stream(request("hi")))
        let sent = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(sent.path, "/v1beta/models/gemini-2.0-flash:streamGenerateContent")
        XCTAssertNil(sent.json["systemInstruction"])
    }

    func testThoughtPartsAreNotPartOfTheReply() async throws {
        let thought = #"{"candidates":[{"content":{"parts":[{"text":"thinking…","thought":true},{"text":"answer"}]},"finishReason":"STOP"}]}"#
        let server = try fakeUpstream([.head(), .text(sse([thought]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.text, "answer")
    }

    func testHTTP400WithAnInvalidKeyIsAuth() async throws {
        let body = #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#
        try await assertHTTPError(status: 400, body: body, expected: .upstreamAuth, quoting: "API key not valid") { self.backend($0) }
    }

    func testHTTP403IsAuth() async throws {
        let forbidden = #"{"error":{"code":403,"message":"Method doesn't allow unregistered callers. Please use API Key.","status":"PERMISSION_DENIED"}}"#
        try await assertHTTPError(status: 403, body: forbidden, expected: .upstreamAuth, quoting: "unregistered callers") { self.backend($0) }
    }

    func testHTTP429IsRateLimited() async throws {
        let body = #"[{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}]"#
        try await assertHTTPError(status: 429, body: body, expected: .upstreamRateLimited, quoting: "Resource has been exhausted") { self.backend($0) }
    }

    func testHTTP503IsUnavailable() async throws {
        let body = #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#
        try await assertHTTPError(status: 503, body: body, expected: .upstreamUnavailable, quoting: "The model is overloaded") { self.backend($0) }
    }

    func testErrorInsideTheStream() async throws {
        let server = try fakeUpstream([.head(), .text(sse([response(["par"]),
            #"{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}"#]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.text, "par")
        XCTAssertEqual(result.backendError, ChatBackendError(.upstreamUnavailable, "gemini: An internal error has occurred. (INTERNAL)"))
    }

    func testBlockedPromptAndBlockedReply() async throws {
        let blocked = try fakeUpstream([.head(), .text(sse([#"{"promptFeedback":{"blockReason":"SAFETY"}}"#]))])
        let first = await collect(backend(blocked).stream(request("hi")))
        XCTAssertEqual(first.backendError, ChatBackendError(.upstreamProtocol, "gemini: the prompt was blocked (SAFETY)"))

        let refused = try fakeUpstream([.head(), .text(sse([#"{"candidates":[{"finishReason":"RECITATION"}]}"#]))])
        let second = await collect(backend(refused).stream(request("hi")))
        XCTAssertEqual(second.backendError?.code, .upstreamProtocol)
    }

    func testStreamWithoutFinishReasonIsCutShort() async throws {
        let server = try fakeUpstream([.head(), .text(sse([response(["half"])]))])
        let result = await collect(backend(server).stream(request("hi")))
        XCTAssertEqual(result.text, "half")
        XCTAssertEqual(result.backendError?.code, .upstreamUnavailable)
    }

    func testSilenceAfterHeadersTimesOut() async throws {
        try await assertSilenceAfterHeadersTimesOut { self.backend($0, timeouts: $1) }
    }

    func testCancellingClosesTheUpstream() async throws {
        try await assertCancellingClosesTheUpstream({ self.backend($0) }, firstEvent: sse([response(["Hello"])]))
    }
}
