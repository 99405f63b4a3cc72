import ChatBackends

extension BackendSet {
    /// The backends the configuration and environment make available: `echo` and `mock`
    /// always, a remote one when its key (or, for OpenAI-compatible servers, a base URL)
    /// is set. `--model` and `--base-url` apply to the default backend (README "Backends").
    static func make(_ configuration: RunnelConfiguration, environment: [String: String]) throws -> BackendSet {
        var settings = BackendConfiguration.fromEnvironment(environment)
        settings.echoDelayMs = configuration.echoDelayMs
        settings.mockTTFTMs = configuration.mockFirstTokenMs
        settings.mockTokenDelayMs = configuration.mockTokenDelayMs
        settings.systemPrompt = configuration.system
        let name = configuration.backend
        switch name {
        case "openai": apply(configuration, to: &settings.openAI)
        case "gemini": apply(configuration, to: &settings.gemini)
        case "anthropic": apply(configuration, to: &settings.anthropic)
        default:
            if configuration.model != nil || configuration.baseURL != nil {
                throw RunnelError("--model and --base-url apply to a remote backend, not '\(name)'; pick one with --backend openai|gemini|anthropic")
            }
        }
        let backends = BackendRegistry.make(settings)
        guard let chosen = backends.first(where: { $0.name == name }) else {
            throw RunnelError(Self.notConfigured(name, available: backends.map(\.name)))
        }
        return BackendSet([chosen] + backends.filter { $0.name != name }, defaultName: name)
    }

    private static func apply(_ configuration: RunnelConfiguration, to provider: inout ProviderSettings) {
        if let model = configuration.model { provider.model = model }
        if let baseURL = configuration.baseURL { provider.baseURL = baseURL }
    }

    private static func notConfigured(_ name: String, available: [String]) -> String {
        let hint: String
        switch name {
        case "openai": hint = "set OPENAI_API_KEY, or --base-url for a local OpenAI-compatible server (Ollama: http://localhost:11434/v1)"
        case "gemini": hint = "set GEMINI_API_KEY"
        case "anthropic": hint = "set ANTHROPIC_API_KEY"
        default: hint = "available: \(available.joined(separator: ", "))"
        }
        return "backend '\(name)' is not configured; \(hint)"
    }
}
