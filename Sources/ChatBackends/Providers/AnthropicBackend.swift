import Foundation

/// Anthropic's Messages API with `stream: true`.
public struct AnthropicBackend: ChatBackend {
    /// Always "anthropic".
    public let name = "anthropic"
    /// Always "remote".
    public let kind = "remote"
    /// The model asked for.
    public var model: String { settings.model }

    /// The API version this wire format is written against.
    public static let apiVersion = "2023-06-01"

    /// Key, base URL (host root) and model.
    public let settings: ProviderSettings
    /// Used when a request has no system prompt of its own.
    public let systemPrompt: String?
    /// Limits for each call.
    public let timeouts: UpstreamTimeouts
    /// The reply length cap the API requires in every request, sent when the request
    /// sets none of its own (`ChatRequest.maxTokens`).
    public let maxTokens: Int

    /// Creates the backend.
    public init(settings: ProviderSettings, systemPrompt: String? = nil, timeouts: UpstreamTimeouts = UpstreamTimeouts(), maxTokens: Int = 4096) {
        self.settings = settings
        self.systemPrompt = systemPrompt
        self.timeouts = timeouts
        self.maxTokens = maxTokens
    }

    /// This backend asking for `model`; see `ChatBackend.withModel(_:)`.
    public func withModel(_ model: String) -> any ChatBackend {
        var settings = settings
        settings.model = model
        return AnthropicBackend(settings: settings, systemPrompt: systemPrompt, timeouts: timeouts, maxTokens: maxTokens)
    }

    /// Streams the model's reply; see `ChatBackend.stream(_:)`.
    public func stream(_ request: ChatRequest) -> ChatEvents {
        RemoteCall.stream(label: name, call: { [self] () throws(ChatBackendError) in try makeCall(request) }) {
            AnthropicStreamInterpreter(label: $0, secrets: $1)
        }
    }

    /// POST {base}/v1/messages with `x-api-key` and `anthropic-version`.
    func makeCall(_ request: ChatRequest) throws(ChatBackendError) -> RemoteCall {
        let prompt = ProviderPrompt(request, defaultSystem: systemPrompt, dropEmptyTurns: true)
        let body = Body(model: settings.model, max_tokens: request.maxTokens ?? maxTokens, system: prompt.system,
                        messages: prompt.turns.map { Body.Message(role: $0.role.rawValue, content: $0.content) },
                        stream: true, temperature: request.temperature.flatMap { $0.isFinite ? $0 : nil })
        var headers = ["anthropic-version": Self.apiVersion]
        if let key = settings.trimmedKey { headers["x-api-key"] = key }
        return RemoteCall(label: name, url: try settings.endpoint("/v1/messages", label: name),
                          json: try StreamPayload.encode(body), headers: headers,
                          timeouts: timeouts, secrets: settings.trimmedKey.map { [$0] } ?? [])
    }

    /// The request body; property names are the wire names.
    private struct Body: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
        }
        var model: String
        var max_tokens: Int
        var system: String?
        var messages: [Message]
        var stream: Bool
        /// Absent (not `null`) when nil: the synthesized encoder skips nil optionals.
        var temperature: Double?
    }
}
