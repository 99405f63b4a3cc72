import ChatBackends

extension BackendSet {
    /// The backends the configuration and environment make available: `echo` and `mock`
    /// always, a remote one when its key (or, for OpenAI-compatible servers, a base URL)
    /// is set. `--model` and `--base-url` apply to the default backend.
    static func make(_ configuration: RunnelConfiguration, environment: [String: String]) throws -> BackendSet {
        var backends: [any ChatBackend] = [
            MockBackend(ttftMs: configuration.mockFirstTokenMs, tokenDelayMs: configuration.mockTokenDelayMs),
            EchoBackend(defaultDelayMs: configuration.echoDelayMs),
        ]
        _ = environment
        guard backends.contains(where: { $0.name == configuration.backend }) else {
            throw RunnelError("backend '\(configuration.backend)' is not configured; available: \(backends.map(\.name).joined(separator: ", "))")
        }
        backends.sort { a, _ in a.name == configuration.backend }
        return BackendSet(backends, defaultName: configuration.backend)
    }
}
