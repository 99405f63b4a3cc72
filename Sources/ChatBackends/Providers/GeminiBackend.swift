import Foundation

/// Google's Gemini API: `streamGenerateContent?alt=sse`.
///
/// The key travels in the `x-goog-api-key` header, never in the URL (Google's `?key=`
/// form would put it in every proxy and access log on the way).
public struct GeminiBackend: ChatBackend {
    /// Always "gemini".
    public let name = "gemini"
    /// Always "remote".
    public let kind = "remote"
    /// The model asked for.
    public var model: String { settings.model }

    /// Key, base URL (host root) and model.
    public let settings: ProviderSettings
    /// Used when a request has no system prompt of its own.
    public let systemPrompt: String?
    /// Limits for each call.
    public let timeouts: UpstreamTimeouts

    /// Creates the backend.
    public init(settings: ProviderSettings, systemPrompt: String? = nil, timeouts: UpstreamTimeouts = UpstreamTimeouts()) {
        self.settings = settings
        self.systemPrompt = systemPrompt
        self.timeouts = timeouts
    }

    /// This backend asking for `model`; see `ChatBackend.withModel(_:)`.
    public func withModel(_ model: String) -> any ChatBackend {
        var settings = settings
        settings.model = model
        return GeminiBackend(settings: settings, systemPrompt: systemPrompt, timeouts: timeouts)
    }

    /// Streams the model's reply; see `ChatBackend.stream(_:)`.
    public func stream(_ request: ChatRequest) -> ChatEvents {
        RemoteCall.stream(label: name, call: { [self] () throws(ChatBackendError) in try makeCall(request) }) {
            GeminiStreamInterpreter(label: $0, secrets: $1)
        }
    }

    /// POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse.
    func makeCall(_ request: ChatRequest) throws(ChatBackendError) -> RemoteCall {
        let prompt = ProviderPrompt(request, defaultSystem: systemPrompt, dropEmptyTurns: true)
        let contents = prompt.turns.map { turn in
            Body.Content(role: turn.role == .assistant ? "model" : "user", parts: [Body.Part(text: turn.content)])
        }
        let config = Body.GenerationConfig(temperature: request.temperature.flatMap { $0.isFinite ? $0 : nil },
                                           maxOutputTokens: request.maxTokens)
        let body = Body(contents: contents, systemInstruction: prompt.system.map { Body.Content(role: nil, parts: [Body.Part(text: $0)]) },
                        generationConfig: config.isEmpty ? nil : config)

        // Accept "models/gemini-…" too, the form Google's model list returns.
        var modelName = settings.model
        if modelName.hasPrefix("models/") { modelName.removeFirst("models/".count) }
        let escapedModel = modelName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/", "?", "#"])) ?? modelName

        var headers: [String: String] = [:]
        if let key = settings.trimmedKey { headers["x-goog-api-key"] = key }
        return RemoteCall(label: name,
                          url: try settings.endpoint("/v1beta/models/\(escapedModel):streamGenerateContent", query: "alt=sse", label: name),
                          json: try StreamPayload.encode(body), headers: headers,
                          timeouts: timeouts, secrets: settings.trimmedKey.map { [$0] } ?? [])
    }

    /// The request body; property names are the wire names.
    private struct Body: Encodable {
        struct Part: Encodable {
            var text: String
        }
        struct Content: Encodable {
            var role: String?
            var parts: [Part]
        }
        /// Only the fields a request sets; the whole object is left out when it sets none.
        struct GenerationConfig: Encodable {
            var temperature: Double?
            var maxOutputTokens: Int?
            var isEmpty: Bool { temperature == nil && maxOutputTokens == nil }
        }
        var contents: [Content]
        var systemInstruction: Content?
        var generationConfig: GenerationConfig?
    }
}
