import TestSupport
import XCTest
@testable import ChatBackends

/// Reasoning, finish reasons and reasoning token counts, read from each provider's exact
/// bytes as its API sends them.
final class ReasoningStreamTests: XCTestCase {
    let timeouts = UpstreamTimeouts(connect: 5, firstByte: 5, idle: 5)

    var reasoningPieces: (CollectedStream) -> [String] {
        { $0.events.compactMap { if case .reasoning(let text) = $0 { text } else { nil } } }
    }

    func finishes(_ result: CollectedStream) -> [ChatFinishReason] {
        result.events.compactMap { if case .finish(let reason) = $0 { reason } else { nil } }
    }

    /// DeepSeek, vLLM and llama.cpp say `reasoning_content`; OpenRouter and Ollama say `reasoning`.
    func testOpenAICompatibleReasoningContentAndReasoning() async throws {
        let body = sse([
            #"{"id":"1","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":""},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"1","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":null,"reasoning_content":"Let me "},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"1","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"reasoning":"think."},"finish_reason":null}]}"#,
            #"{"id":"1","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":"Hi","reasoning_content":null},"logprobs":null,"finish_reason":null}]}"#,
            #"{"id":"1","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"length"}]}"#,
            #"{"id":"1","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":30,"total_tokens":40,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":25}}}"#,
            "[DONE]",
        ])
        let server = try fakeUpstream([.head()] + FakeUpstream.Step.pieces(body, sizes: [7, 90, 3, 200]))
        let backend = OpenAIBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL + "/v1", model: "deepseek-reasoner"),
                                    timeouts: timeouts)
        let result = await collect(backend.stream(request("hi")))
        XCTAssertNil(result.error)
        XCTAssertEqual(reasoningPieces(result), ["Let me ", "think."])
        XCTAssertEqual(result.text, "Hi")
        XCTAssertEqual(finishes(result), [.length])
        XCTAssertEqual(result.usage, ChatUsage(inputTokens: 10, outputTokens: 30, reasoningTokens: 25))
    }

    func testAnthropicThinkingBlocksWithSignature() async throws {
        let body = sse([
            ("message_start", #"{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#),
            ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"I need to find "}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"the answer."}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
            ("content_block_start", #"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"42"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":1}"#),
            ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":60}}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ])
        let server = try fakeUpstream([.head()] + FakeUpstream.Step.pieces(body, sizes: [50, 3, 400]))
        let backend = AnthropicBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL, model: "claude-sonnet-4-5"),
                                       timeouts: timeouts)
        let result = await collect(backend.stream(request("hi")))
        XCTAssertNil(result.error)
        XCTAssertEqual(reasoningPieces(result), ["I need to find ", "the answer."])
        XCTAssertTrue(result.events.contains(.reasoningSignature("EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds")))
        XCTAssertEqual(result.text, "42")
        XCTAssertEqual(finishes(result), [.length])
        XCTAssertEqual(result.usage, ChatUsage(inputTokens: 12, outputTokens: 60))
    }

    func testGeminiThoughtPartsAndThoughtsTokenCount() async throws {
        let body = sse([
            #"{"candidates": [{"content": {"parts": [{"text": "**Weighing it up**\n\nThe user wants","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 60,"thoughtsTokenCount": 52},"modelVersion": "gemini-2.5-flash","responseId": "abc"}"#,
            #"{"candidates": [{"content": {"parts": [{"text": "Yes."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 2,"totalTokenCount": 62,"thoughtsTokenCount": 52},"modelVersion": "gemini-2.5-flash","responseId": "abc"}"#,
        ], lineEnding: "\r\n")
        let server = try fakeUpstream([.head()] + FakeUpstream.Step.pieces(body, sizes: [11, 1, 300]))
        let backend = GeminiBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL, model: "gemini-2.5-flash"),
                                    timeouts: timeouts)
        let result = await collect(backend.stream(request("hi")))
        XCTAssertNil(result.error)
        XCTAssertEqual(reasoningPieces(result), ["**Weighing it up**\n\nThe user wants"])
        XCTAssertEqual(result.text, "Yes.")
        XCTAssertEqual(finishes(result), [.stop])
        XCTAssertEqual(result.usage, ChatUsage(inputTokens: 8, outputTokens: 2, reasoningTokens: 52))
    }

    func testMockThinksOnThinkAndOnWhyQuestionsDeterministically() async {
        let mock = MockBackend(ttftMs: 0, tokenDelayMs: 0)
        let first = await collect(mock.stream(request("/think what is 2+2")))
        let again = await collect(mock.stream(request("/think what is 2+2")))
        XCTAssertEqual(first.events, again.events)
        XCTAssertFalse(reasoningPieces(first).isEmpty)
        XCTAssertTrue(reasoningPieces(first).joined().contains("what is 2+2"))
        // Reasoning comes before the first piece of the reply.
        let firstDelta = try? XCTUnwrap(first.events.firstIndex { if case .delta = $0 { true } else { false } })
        let lastReasoning = first.events.lastIndex { if case .reasoning = $0 { true } else { false } }
        XCTAssertLessThan(lastReasoning ?? .max, firstDelta ?? 0)
        XCTAssertEqual(finishes(first), [.stop])
        XCTAssertEqual(first.usage?.reasoningTokens, reasoningPieces(first).count)

        let why = await collect(mock.stream(request("Why is the sky blue?")))
        XCTAssertFalse(reasoningPieces(why).isEmpty)
        let plain = await collect(mock.stream(request("Tell me about the sky")))
        XCTAssertEqual(reasoningPieces(plain), [])
        XCTAssertNil(plain.usage?.reasoningTokens)
    }

    func testEchoNeverReasonsAndFinishes() async {
        let result = await collect(EchoBackend().stream(request("why not")))
        XCTAssertEqual(reasoningPieces(result), [])
        XCTAssertEqual(result.text, "why not")
        XCTAssertEqual(finishes(result), [.stop])
    }
}
