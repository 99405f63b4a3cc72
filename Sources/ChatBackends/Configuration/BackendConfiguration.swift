import Foundation

/// Everything needed to build the set of backends (README "Backends").
///
/// ```swift
/// var configuration = BackendConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
/// configuration.systemPrompt = "Be brief."
/// let backends = BackendRegistry.make(configuration)
/// ```
public struct BackendConfiguration: Sendable, CustomStringConvertible {
    /// OpenAI's API, `/v1` included as its SDKs expect.
    public static let defaultOpenAIBaseURL = "https://api.openai.com/v1"
    /// Anthropic's API host root.
    public static let defaultAnthropicBaseURL = "https://api.anthropic.com"
    /// Google's Generative Language API host root.
    public static let defaultGeminiBaseURL = "https://generativelanguage.googleapis.com"
    /// OpenAI's default: small and inexpensive.
    public static let defaultOpenAIModel = "gpt-4o-mini"
    /// Anthropic's default (an alias that resolves to the newest snapshot).
    public static let defaultAnthropicModel = "claude-sonnet-4-5"
    /// Gemini's default: fast and inexpensive.
    public static let defaultGeminiModel = "gemini-2.5-flash"

    /// `echo`'s pause between chunks when a request sets none (0 = instant).
    public var echoDelayMs: Int
    /// `mock`'s delay before the first token.
    public var mockTTFTMs: Int
    /// `mock`'s delay between tokens.
    public var mockTokenDelayMs: Int
    /// The scenarios `mock` answers from (README "Mock scenarios"); shared, so a reload
    /// of the `--mocks` folder reaches the backend.
    public var mockScenarios = MockScenarioLibrary()
    /// A system prompt for the remote backends (a request's own `system` wins).
    public var systemPrompt: String?
    /// Any OpenAI-compatible server.
    public var openAI: ProviderSettings
    /// Anthropic's Messages API.
    public var anthropic: ProviderSettings
    /// Google's Gemini API.
    public var gemini: ProviderSettings
    /// Limits for every upstream call.
    public var timeouts: UpstreamTimeouts

    /// Creates a configuration; every default is the documented one.
    public init(
        echoDelayMs: Int = 0,
        mockTTFTMs: Int = 300,
        mockTokenDelayMs: Int = 25,
        systemPrompt: String? = nil,
        openAI: ProviderSettings = ProviderSettings(baseURL: defaultOpenAIBaseURL, model: defaultOpenAIModel),
        anthropic: ProviderSettings = ProviderSettings(baseURL: defaultAnthropicBaseURL, model: defaultAnthropicModel),
        gemini: ProviderSettings = ProviderSettings(baseURL: defaultGeminiBaseURL, model: defaultGeminiModel),
        timeouts: UpstreamTimeouts = UpstreamTimeouts()
    ) {
        self.echoDelayMs = echoDelayMs
        self.mockTTFTMs = mockTTFTMs
        self.mockTokenDelayMs = mockTokenDelayMs
        self.systemPrompt = systemPrompt
        self.openAI = openAI
        self.anthropic = anthropic
        self.gemini = gemini
        self.timeouts = timeouts
    }

    /// The defaults, with each provider's key, base URL and model taken from the
    /// variables its own SDK reads: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_MODEL`,
    /// `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`, `ANTHROPIC_MODEL`, `GEMINI_API_KEY`,
    /// `GEMINI_BASE_URL`, `GEMINI_MODEL`. Empty values count as unset.
    public static func fromEnvironment(_ environment: [String: String]) -> BackendConfiguration {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        func provider(_ prefix: String, baseURL: String, model: String) -> ProviderSettings {
            ProviderSettings(apiKey: value("\(prefix)_API_KEY"),
                             baseURL: value("\(prefix)_BASE_URL") ?? baseURL,
                             model: value("\(prefix)_MODEL") ?? model)
        }
        return BackendConfiguration(
            openAI: provider("OPENAI", baseURL: defaultOpenAIBaseURL, model: defaultOpenAIModel),
            anthropic: provider("ANTHROPIC", baseURL: defaultAnthropicBaseURL, model: defaultAnthropicModel),
            gemini: provider("GEMINI", baseURL: defaultGeminiBaseURL, model: defaultGeminiModel)
        )
    }

    /// A one-line summary for startup logs; never contains a key.
    public var description: String {
        "echo delay \(echoDelayMs) ms; mock \(mockTTFTMs) ms first token, \(mockTokenDelayMs) ms per token; "
            + "system prompt \(systemPrompt == nil ? "none" : "set"); "
            + "openai \(openAI); anthropic \(anthropic); gemini \(gemini); "
            + "timeouts connect \(timeouts.connect) s, first byte \(timeouts.firstByte) s, idle \(timeouts.idle) s"
    }
}
