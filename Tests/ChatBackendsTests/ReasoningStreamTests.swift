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
        let body = try ProviderFixtures.text("openai-reasoning.sse")
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
        let body = try ProviderFixtures.text("anthropic-thinking.sse")
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
        let body = try ProviderFixtures.text("gemini-thoughts.sse")
        let server = try fakeUpstream([.head()] + FakeUpstream.Step.pieces(body, sizes: [11, 1, 300]))
        let backend = GeminiBackend(settings: ProviderSettings(apiKey: testKey, baseURL: server.baseURL, model: "gemini-2.5-flash"),
                                    timeouts: timeouts)
        let result = await collect(backend.stream(request("hi")))
        XCTAssertNil(result.error)
        XCTAssertEqual(reasoningPieces(result), ["**Weighing it up**\n\nThe user wants"])
        XCTAssertEqual(result.text, "Yes.")
        XCTAssertEqual(finishes(result), [.stop])
        XCTAssertEqual(result.usage, ChatUsage(inputTokens: 8, outputTokens: 54, reasoningTokens: 52))
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
