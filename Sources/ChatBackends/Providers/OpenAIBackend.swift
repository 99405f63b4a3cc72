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

    /// This backend asking for `model`; see `ChatBackend.withModel(_:)`.
    public func withModel(_ model: String) -> any ChatBackend {
        var settings = settings
        settings.model = model
        return OpenAIBackend(settings: settings, systemPrompt: systemPrompt, timeouts: timeouts)
    }

    /// Streams the model's reply; see `ChatBackend.stream(_:)`.
    public func stream(_ request: ChatRequest) -> ChatEvents {
        RemoteCall.stream(label: name, call: { [self] () throws(ChatBackendError) in try makeCall(request) }) {
            OpenAIStreamInterpreter(label: $0, secrets: $1)
        }
    }

    /// The HTTP request for `request`: POST {base}/chat/completions, bearer key when set.
    func makeCall(_ request: ChatRequest) throws(ChatBackendError) -> RemoteCall {
        let prompt = ProviderPrompt(request, defaultSystem: systemPrompt, dropEmptyTurns: false)
        var messages = prompt.turns.map { (role: $0.role.rawValue, content: $0.content) }
        if let system = prompt.system { messages.insert((role: "system", content: system), at: 0) }

        var headers: [String: String] = [:]
        if let key { headers["Authorization"] = "Bearer \(key)" }
        return RemoteCall(label: name, url: try endpoint.get(),
                          json: Self.body(model: settings.model, messages: messages,
                                          temperature: request.temperature, maxTokens: request.maxTokens), headers: headers,
                          timeouts: timeouts, secrets: key.map { [$0] } ?? [])
    }

    /// The request body: `model`, `messages`, `stream: true`, `stream_options.include_usage`,
    /// and `temperature` and `max_tokens` when the request sets them.
    /// Written directly: through `JSONEncoder` it was ~2% of a proxied stream.
    static func body(model: String, messages: [(role: String, content: String)],
                     temperature: Double? = nil, maxTokens: Int? = nil) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(96 + messages.reduce(model.utf8.count) { $0 + $1.content.utf8.count + 32 })
        out.append(contentsOf: #"{"model":"#.utf8)
        JSONBytes.appendString(model, to: &out)
        out.append(contentsOf: #","messages":["#.utf8)
        for (index, message) in messages.enumerated() {
            out.append(contentsOf: (index == 0 ? #"{"role":"# : #",{"role":"#).utf8)
            JSONBytes.appendString(message.role, to: &out)
            out.append(contentsOf: #","content":"#.utf8)
            JSONBytes.appendString(message.content, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"stream":true,"stream_options":{"include_usage":true}"#.utf8)
        if let temperature, let number = JSONBytes.number(temperature) {
            out.append(contentsOf: #","temperature":"#.utf8)
            out.append(contentsOf: number.utf8)
        }
        if let maxTokens {
            out.append(contentsOf: #","max_tokens":"#.utf8)
            out.append(contentsOf: String(maxTokens).utf8)
        }
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }
}
