/// Builds the backends a configuration makes available.
public enum BackendRegistry {
    /// `echo` and `mock` always; `openai` when it has a key or a base URL other than
    /// OpenAI's (local servers such as Ollama need no key); `gemini` and `anthropic`
    /// when their key is set. In that order.
    public static func make(_ configuration: BackendConfiguration) -> [any ChatBackend] {
        var backends: [any ChatBackend] = [
            EchoBackend(defaultDelayMs: configuration.echoDelayMs),
            MockBackend(ttftMs: configuration.mockTTFTMs, tokenDelayMs: configuration.mockTokenDelayMs, scenarios: configuration.mockScenarios),
        ]
        let openAI = configuration.openAI
        if openAI.hasAPIKey || !openAI.hasBaseURL(BackendConfiguration.defaultOpenAIBaseURL) {
            backends.append(OpenAIBackend(settings: openAI, systemPrompt: configuration.systemPrompt, timeouts: configuration.timeouts))
        }
        if configuration.gemini.hasAPIKey {
            backends.append(GeminiBackend(settings: configuration.gemini, systemPrompt: configuration.systemPrompt, timeouts: configuration.timeouts))
        }
        if configuration.anthropic.hasAPIKey {
            backends.append(AnthropicBackend(settings: configuration.anthropic, systemPrompt: configuration.systemPrompt, timeouts: configuration.timeouts))
        }
        return backends
    }
}
