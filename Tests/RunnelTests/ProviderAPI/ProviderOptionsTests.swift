import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// The provider endpoints pass their generation options on (README "SDKs"): each format's
/// temperature and token cap, through Runnel to an `openai` backend, arrive upstream as
/// `temperature` and `max_tokens`.
final class ProviderOptionsTests: XCTestCase {
    private let reply = #"data: {"model":"m","choices":[{"delta":{"content":"ok"},"finish_reason":"stop"}]}"# + "\n\ndata: [DONE]\n\n"

    private func upstreamBody(_ path: String, _ json: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let upstream = try fakeUpstream([.head(), .text(reply)])
        let (_, port) = try startRunnel(environment: ["OPENAI_API_KEY": "sk-provider-options-0123456789"]) {
            $0.backend = "openai"
            $0.baseURL = upstream.baseURL + "/v1"
        }
        let response = try exchange(port: port, "POST", path, json: json)
        XCTAssertEqual(response.status, 200, response.text, file: file, line: line)
        return try XCTUnwrap(upstream.requests.first, file: file, line: line).json
    }

    func testOpenAIFormatTemperatureAndMaxTokensReachTheUpstream() throws {
        let sent = try upstreamBody("/v1/chat/completions",
            #"{"model":"openai","temperature":0.4,"max_tokens":77,"messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(sent["temperature"] as? Double, 0.4)
        XCTAssertEqual(sent["max_tokens"] as? Int, 77)
    }

    func testOpenAIFormatMaxCompletionTokensWins() throws {
        let sent = try upstreamBody("/v1/chat/completions",
            #"{"model":"openai","max_tokens":77,"max_completion_tokens":12,"messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(sent["max_tokens"] as? Int, 12)
        XCTAssertNil(sent["temperature"])
    }

    func testAnthropicFormatTemperatureAndMaxTokensReachTheUpstream() throws {
        let sent = try upstreamBody("/v1/messages",
            #"{"model":"openai","max_tokens":33,"temperature":0.9,"messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(sent["temperature"] as? Double, 0.9)
        XCTAssertEqual(sent["max_tokens"] as? Int, 33)
    }

    func testGeminiFormatGenerationConfigReachesTheUpstream() throws {
        let sent = try upstreamBody("/v1beta/models/openai:generateContent",
            #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"temperature":1.25,"maxOutputTokens":21}}"#)
        XCTAssertEqual(sent["temperature"] as? Double, 1.25)
        XCTAssertEqual(sent["max_tokens"] as? Int, 21)
    }

    func testATemperatureOutOfItsRangeIs400NamingIt() throws {
        let (_, port) = try startRunnel()
        let openAI = try exchange(port: port, "POST", "/v1/chat/completions", json: #"{"model":"mock","temperature":3,"messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(openAI.status, 400)
        XCTAssertEqual((openAI.json?["error"] as? [String: Any])?["param"] as? String, "temperature")
        let anthropic = try exchange(port: port, "POST", "/v1/messages", json: #"{"model":"mock","max_tokens":5,"temperature":1.5,"messages":[{"role":"user","content":"hi"}]}"#)
        XCTAssertEqual(anthropic.status, 400)
        XCTAssertTrue(anthropic.text.contains("'temperature'"), anthropic.text)
        let gemini = try exchange(port: port, "POST", "/v1beta/models/mock:generateContent",
                                  json: #"{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"temperature":"warm"}}"#)
        XCTAssertEqual(gemini.status, 400)
        XCTAssertTrue(gemini.text.contains("'temperature'"), gemini.text)
    }
}
