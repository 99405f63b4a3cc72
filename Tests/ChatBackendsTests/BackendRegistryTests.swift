import XCTest
@testable import ChatBackends

final class BackendRegistryTests: XCTestCase {
    func names(_ environment: [String: String]) -> [String] {
        BackendRegistry.make(.fromEnvironment(environment)).map(\.name)
    }

    func testLocalBackendsAlwaysExist() {
        let backends = BackendRegistry.make(.fromEnvironment([:]))
        XCTAssertEqual(backends.map(\.name), ["echo", "mock"])
        XCTAssertEqual(backends.map(\.model), ["echo", "mock-1"])
        XCTAssertEqual(backends.map(\.kind), ["local", "local"])
    }

    func testRemoteBackendsNeedAKey() {
        XCTAssertEqual(names(["OPENAI_API_KEY": "k", "GEMINI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"]),
                       ["echo", "mock", "openai", "gemini", "anthropic"])
        XCTAssertEqual(names(["ANTHROPIC_BASE_URL": "http://127.0.0.1:1", "GEMINI_MODEL": "x"]), ["echo", "mock"])
    }

    func testOpenAICompatibleServerNeedsOnlyABaseURL() {
        XCTAssertEqual(names(["OPENAI_BASE_URL": "http://localhost:11434/v1"]), ["echo", "mock", "openai"])
        XCTAssertEqual(names(["OPENAI_BASE_URL": "https://api.openai.com/v1/"]), ["echo", "mock"])
    }

    func testConfigurationReachesTheBackends() throws {
        var configuration = BackendConfiguration.fromEnvironment(["OPENAI_API_KEY": "k", "OPENAI_MODEL": "gpt-x"])
        configuration.echoDelayMs = 7
        configuration.mockTTFTMs = 11
        configuration.mockTokenDelayMs = 3
        configuration.systemPrompt = "sys"
        configuration.timeouts = UpstreamTimeouts(connect: 1, firstByte: 2, idle: 3)
        let backends = BackendRegistry.make(configuration)
        XCTAssertEqual((backends[0] as? EchoBackend)?.defaultDelayMs, 7)
        let mock = try XCTUnwrap(backends[1] as? MockBackend)
        XCTAssertEqual([mock.ttftMs, mock.tokenDelayMs], [11, 3])
        let openAI = try XCTUnwrap(backends[2] as? OpenAIBackend)
        XCTAssertEqual(openAI.model, "gpt-x")
        XCTAssertEqual(openAI.kind, "remote")
        XCTAssertEqual(openAI.systemPrompt, "sys")
        XCTAssertEqual(openAI.timeouts, UpstreamTimeouts(connect: 1, firstByte: 2, idle: 3))
    }
}
