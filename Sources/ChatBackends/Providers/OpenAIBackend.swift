import Foundation

/// Any OpenAI-compatible `/chat/completions` endpoint with `stream: true`: OpenAI,
/// Ollama's `/v1`, llama.cpp, vLLM, LM Studio, OpenRouter…
///
/// ```swift
/// let local = OpenAIBackend(settings: ProviderSettings(baseURL: "http://localhost:11434/v1", model: "llama3.2"))
/// ```
public struct OpenAIBackend: ChatBackend {
    /// Always "openai".
    public let name = "openai"
    /// Always "remote".
    public let kind = "remote"
    /// The model asked for.
    public var model: String { settings.model }

    /// Key, base URL (including `/v1`) and model.
    public let settings: ProviderSettings
    /// Used when a request has no system prompt of its own.
    public let systemPrompt: String?
    /// Limits for each call.
    public let timeouts: UpstreamTimeouts
    /// The endpoint and the trimmed key, worked out once: per call they cost Foundation
    /// URL parsing and trimming.
    private let endpoint: Result<URL, ChatBackendError>
    private let key: String?

    /// Creates the backend.
    public init(settings: ProviderSettings, systemPrompt: String? = nil, timeouts: UpstreamTimeouts = UpstreamTimeouts()) {
        self.settings = settings
        self.systemPrompt = systemPrompt
        self.timeouts = timeouts
        self.endpoint = Result { () throws(ChatBackendError) in try settings.endpoint("/chat/completions", label: "openai") }
        self.key = settings.trimmedKey
    }

    /// Streams the model's reply; see `ChatBackend.stream(_:)`.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatEvent, Error> {
        RemoteCall.stream(label: name, call: { [self] () throws(ChatBackendError) in try makeCall(request) }) {
            OpenAIStreamInterpreter(label: $0, secrets: $1)
        }
    }

    /// The HTTP request for `request`: POST {base}/chat/completions, bearer key when set.
    func makeCall(_ request: ChatRequest) throws(ChatBackendError) -> RemoteCall {
        let prompt = ProviderPrompt(request, defaultSystem: systemPrompt, dropEmptyTurns: false)
        var messages = prompt.turns.map { Body.Message(role: $0.role.rawValue, content: $0.content) }
        if let system = prompt.system { messages.insert(Body.Message(role: "system", content: system), at: 0) }
        let body = Body(model: settings.model, messages: messages, stream: true, stream_options: .init(include_usage: true))

        var headers: [String: String] = [:]
        if let key { headers["Authorization"] = "Bearer \(key)" }
        return RemoteCall(label: name, url: try endpoint.get(),
                          json: try StreamPayload.encode(body), headers: headers,
                          timeouts: timeouts, secrets: key.map { [$0] } ?? [])
    }

    /// The request body; property names are the wire names.
    private struct Body: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
        }
        struct StreamOptions: Encodable {
            var include_usage: Bool
        }
        var model: String
        var messages: [Message]
        var stream: Bool
        var stream_options: StreamOptions
    }
}
