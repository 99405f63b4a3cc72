import XCTest
@testable import ChatBackends

final class BackendConfigurationTests: XCTestCase {
    func testDefaults() {
        let configuration = BackendConfiguration.fromEnvironment([:])
        XCTAssertEqual(configuration.mockTTFTMs, 300)
        XCTAssertEqual(configuration.mockTokenDelayMs, 25)
        XCTAssertEqual(configuration.echoDelayMs, 0)
        XCTAssertEqual(configuration.timeouts, UpstreamTimeouts(connect: 10, firstByte: 60, idle: 60))
        XCTAssertEqual(configuration.openAI, ProviderSettings(baseURL: "https://api.openai.com/v1", model: "gpt-4o-mini"))
        XCTAssertEqual(configuration.anthropic.baseURL, "https://api.anthropic.com")
        XCTAssertEqual(configuration.gemini, ProviderSettings(baseURL: "https://generativelanguage.googleapis.com", model: "gemini-2.5-flash"))
        XCTAssertNil(configuration.anthropic.apiKey)
    }

    func testEnvironmentVariables() {
        let configuration = BackendConfiguration.fromEnvironment([
            "OPENAI_API_KEY": "sk-o\n", "OPENAI_BASE_URL": "http://localhost:11434/v1", "OPENAI_MODEL": "llama3.2",
            "ANTHROPIC_API_KEY": "sk-ant-a", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_MODEL": "claude-x",
            "GEMINI_API_KEY": "AIza-g", "GEMINI_BASE_URL": "http://127.0.0.1:8", "GEMINI_MODEL": "gemini-x",
        ])
        XCTAssertEqual(configuration.openAI, ProviderSettings(apiKey: "sk-o", baseURL: "http://localhost:11434/v1", model: "llama3.2"))
        XCTAssertEqual(configuration.anthropic, ProviderSettings(apiKey: "sk-ant-a", baseURL: "http://127.0.0.1:9", model: "claude-x"))
        XCTAssertEqual(configuration.gemini, ProviderSettings(apiKey: "AIza-g", baseURL: "http://127.0.0.1:8", model: "gemini-x"))
    }

    func testEmptyValuesCountAsUnset() {
        let configuration = BackendConfiguration.fromEnvironment(["OPENAI_API_KEY": "", "OPENAI_MODEL": "  "])
        XCTAssertNil(configuration.openAI.apiKey)
        XCTAssertEqual(configuration.openAI.model, "gpt-4o-mini")
    }

    func testNoTextualFormShowsAKey() {
        let configuration = BackendConfiguration.fromEnvironment([
            "OPENAI_API_KEY": testKey, "ANTHROPIC_API_KEY": testKey, "GEMINI_API_KEY": testKey,
        ])
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [configuration.description, "\(configuration)", String(reflecting: configuration), dumped,
                     configuration.openAI.description, String(reflecting: configuration.openAI)] {
            XCTAssertFalse(text.contains("0123456789abcdef"), text)
        }
        XCTAssertTrue(configuration.description.contains("key set"))
    }

    func testBaseURLValidation() {
        XCTAssertEqual(ProviderSettings(baseURL: "http://localhost:11434/v1//", model: "m").validatedBaseURL?.absoluteString,
                       "http://localhost:11434/v1")
        XCTAssertNil(ProviderSettings(baseURL: "localhost:11434", model: "m").validatedBaseURL)
        XCTAssertNil(ProviderSettings(baseURL: "ftp://host/", model: "m").validatedBaseURL)
    }
}
