import ChatBackends
import Foundation

extension BackendSet {
    /// The backends the configuration and environment make available: `echo` and `mock`
    /// always, a remote one when its key (or, for OpenAI-compatible servers, a base URL)
    /// is set. `--model` and `--base-url` apply to the default backend (README "Backends").
    /// With `--record DIR`, every remote backend saves its exchanges there; with `--replay
    /// DIR` holding cassettes, `replay` answers from them (README "Record and replay").
    /// With `--mocks DIR`, `mock` answers from `scenarios`, read from there first (README
    /// "Mock scenarios").
    static func make(_ configuration: RunnelConfiguration, environment: [String: String],
                     scenarios: MockScenarioLibrary = MockScenarioLibrary(),
                     log: @escaping @Sendable (String) -> Void = { _ in }) throws -> BackendSet {
        var settings = BackendConfiguration.fromEnvironment(environment)
        settings.echoDelayMs = configuration.echoDelayMs
        settings.mockTTFTMs = configuration.mockFirstTokenMs
        settings.mockTokenDelayMs = configuration.mockTokenDelayMs
        settings.systemPrompt = configuration.system
        settings.mockScenarios = scenarios
        if let folder = configuration.mocksDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw RunnelError("--mocks: '\(folder)' is not a folder; it should hold scenario files (README \"Mock scenarios\")")
            }
            MockScenarioReloader.load(folder, into: scenarios, log: log)
        }
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
        var backends = BackendRegistry.make(settings)
        if let folder = configuration.recordDirectory {
            let shelf = CassetteShelf(directory: URL(fileURLWithPath: folder, isDirectory: true))
            backends = backends.map { $0.kind == "remote" ? RecordingBackend($0, shelf: shelf, log: log) : $0 }
        }
        if let folder = configuration.replayDirectory {
            let (cassettes, problems) = CassetteShelf(directory: URL(fileURLWithPath: folder, isDirectory: true)).load()
            for problem in problems { log("runnel: --replay: skipped \(problem)") }
            if !cassettes.isEmpty { backends.append(ReplayBackend(cassettes: cassettes, speed: configuration.replaySpeed)) }
        }
        guard let chosen = backends.first(where: { $0.name == name }) else {
            if name == "replay", let folder = configuration.replayDirectory {
                throw RunnelError("backend 'replay' has no cassettes: '\(folder)' holds none (record some with --record \(folder))")
            }
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
        case "replay": hint = "pass --replay DIR, a folder of cassettes recorded with --record DIR"
        default: hint = "available: \(available.joined(separator: ", "))"
        }
        return "backend '\(name)' is not configured; \(hint)"
    }
}
