import Foundation
import TestSupport
import XCTest
@testable import ChatBackends

/// `ChatRequest.temperature` and `maxTokens` in each provider's own fields, checked on the
/// exact JSON body the fake upstream received; absent options send no field at all.
final class GenerationOptionsTests: XCTestCase {
    private let timeouts = UpstreamTimeouts(connect: 5, firstByte: 5, idle: 5)
    private let turns = [ChatMessage(role: .user, content: "Hi")]

    private func sentBody(_ backend: (FakeUpstream) -> any ChatBackend, reply: String, _ chat: ChatRequest,
                          file: StaticString = #filePath, line: UInt = #line) async throws -> FakeUpstream.RecordedRequest {
        let server = try fakeUpstream([.head(), .text(reply)])
        let result = await collect(backend(server).stream(chat))
        XCTAssertNil(result.error, file: file, line: line)
        return try XCTUnwrap(server.requests.first, file: file, line: line)
    }

    private func assertJSON(_ sent: FakeUpstream.RecordedRequest, _ expected: [String: Any],
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: sent.body) as? NSDictionary, file: file, line: line)
        XCTAssertEqual(object, expected as NSDictionary, String(decoding: sent.body, as: UTF8.self), file: file, line: line)
    }

    // MARK: OpenAI-compatible

    private func openAI(_ server: FakeUpstream) -> any ChatBackend {
        OpenAIBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL + "/v1", model: "gpt-4o-mini"), timeouts: timeouts)
    }
    private let openAIReply = sse([#"{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}"#, "[DONE]"])

    func testOpenAISendsTemperatureAndMaxTokens() async throws {
        let sent = try await sentBody(openAI, reply: openAIReply, ChatRequest(messages: turns, temperature: 0.7, maxTokens: 256))
        XCTAssertEqual(String(decoding: sent.body, as: UTF8.self),
                       #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true},"temperature":0.7,"max_tokens":256}"#)
    }

    func testOpenAIWithoutOptionsSendsNeitherField() async throws {
        let sent = try await sentBody(openAI, reply: openAIReply, ChatRequest(messages: turns))
        XCTAssertEqual(String(decoding: sent.body, as: UTF8.self),
                       #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}"#)
    }

    func testOpenAITemperatureZeroAndWholeNumbersAreNumbers() async throws {
        let sent = try await sentBody(openAI, reply: openAIReply, ChatRequest(messages: turns, temperature: 0))
        try assertJSON(sent, ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "Hi"]], "stream": true,
                              "stream_options": ["include_usage": true], "temperature": 0])
        let two = try await sentBody(openAI, reply: openAIReply, ChatRequest(messages: turns, temperature: 2))
        XCTAssertEqual(two.json["temperature"] as? Double, 2)
    }

    // MARK: Anthropic

    private func anthropic(_ server: FakeUpstream) -> any ChatBackend {
        AnthropicBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL, model: "claude-sonnet-4-5"),
                         systemPrompt: "Be brief.", timeouts: timeouts)
    }
    private let anthropicReply = sse([
        (type: "content_block_delta", data: #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}"#),
        (type: "message_stop", data: #"{"type":"message_stop"}"#),
    ])

    func testAnthropicSendsTemperatureAndReplacesTheDefaultMaxTokens() async throws {
        let sent = try await sentBody(anthropic, reply: anthropicReply, ChatRequest(messages: turns, temperature: 0.25, maxTokens: 100))
        try assertJSON(sent, ["model": "claude-sonnet-4-5", "max_tokens": 100, "system": "Be brief.",
                              "messages": [["role": "user", "content": "Hi"]], "stream": true, "temperature": 0.25])
    }

    func testAnthropicWithoutOptionsSendsItsDefaultMaxTokensAndNoTemperature() async throws {
        let sent = try await sentBody(anthropic, reply: anthropicReply, ChatRequest(messages: turns))
        try assertJSON(sent, ["model": "claude-sonnet-4-5", "max_tokens": 4096, "system": "Be brief.",
                              "messages": [["role": "user", "content": "Hi"]], "stream": true])
    }

    // MARK: Gemini

    private func gemini(_ server: FakeUpstream) -> any ChatBackend {
        GeminiBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL, model: "gemini-2.5-flash"), timeouts: timeouts)
    }
    private let geminiReply = sse([#"{"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"index":0,"finishReason":"STOP"}]}"#])

    func testGeminiSendsGenerationConfig() async throws {
        let sent = try await sentBody(gemini, reply: geminiReply, ChatRequest(messages: turns, temperature: 1.5, maxTokens: 64))
        try assertJSON(sent, ["contents": [["role": "user", "parts": [["text": "Hi"]]]],
                              "generationConfig": ["temperature": 1.5, "maxOutputTokens": 64]])
    }

    func testGeminiSendsOnlyTheOptionGiven() async throws {
        let sent = try await sentBody(gemini, reply: geminiReply, ChatRequest(messages: turns, maxTokens: 9))
        try assertJSON(sent, ["contents": [["role": "user", "parts": [["text": "Hi"]]]], "generationConfig": ["maxOutputTokens": 9]])
    }

    func testGeminiWithoutOptionsSendsNoGenerationConfig() async throws {
        let sent = try await sentBody(gemini, reply: geminiReply, ChatRequest(messages: turns))
        try assertJSON(sent, ["contents": [["role": "user", "parts": [["text": "Hi"]]]]])
    }

    // MARK: Local

    func testMockCutsItsAnswerAtMaxTokensWithFinishReasonLength() async {
        let mock = MockBackend(ttftMs: 0, tokenDelayMs: 0)
        let full = await collect(mock.stream(request("/long 50")))
        let cut = await collect(mock.stream(ChatRequest(messages: [ChatMessage(role: .user, content: "/long 50")], maxTokens: 5)))
        XCTAssertGreaterThan(full.deltas.count, 5)
        XCTAssertEqual(cut.deltas, Array(full.deltas.prefix(5)))
        XCTAssertTrue(cut.events.contains(.finish(.length)), "\(cut.events)")
        XCTAssertTrue(full.events.contains(.finish(.stop)))
        XCTAssertEqual(cut.usage?.outputTokens, 5)
    }

    func testEchoIgnoresTheOptions() async {
        let echo = EchoBackend()
        let result = await collect(echo.stream(ChatRequest(messages: [ChatMessage(role: .user, content: "one two three")],
                                                           temperature: 2, maxTokens: 1)))
        XCTAssertEqual(result.text, "one two three")
    }
}
