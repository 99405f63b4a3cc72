import ChatBackends
import HTTPServer

/// The provider-format endpoints (README "SDKs"): OpenAI's, Anthropic's and Gemini's
/// own APIs over any configured backend, so their SDKs work against Runnel by changing
/// the base URL. Errors are rendered in each format by ``ErrorResponses`` (by path).
struct ProviderAPI: Sendable {
    let backends: BackendSet
    let key: ProviderKey
    let metrics: Metrics
    let limits: ClientLimits
    /// `--max-reply-bytes`: a whole answer's text, and how far a stream's client may lag.
    let maxReplyBytes: Int
    /// `--heartbeat-seconds`: a silent stream's ping, in each format's way.
    let heartbeat: Duration

    /// Counts a reply in for the request's client (429 or 503 past the limits, README
    /// "Deploying") and in the metrics; the meter's end counts it out of both.
    private func begin(_ request: Request, _ call: ProviderRequest, _ format: ProviderFormat) throws(HTTPError) -> ProviderMeter {
        let client = request.client ?? request.peer ?? "-"
        try limits.beginReply(for: client)
        return ProviderMeter(metrics, backend: call.backend.name, format: format, onEnd: { [limits] in limits.endReply(of: client) })
    }

    func install(into router: inout Router) {
        router.add(.post, "/v1/chat/completions", maxBodySize: ChatAPI.maxBodySize) { request in
            try key.check(request)
            let call = try OpenAIFormat.request(request.body, backends: backends)
            let meter = try begin(request, call, .openAI)
            if call.stream { return try await ProviderReply.stream(call, encoder: OpenAIFormat.Encoder(includeUsage: call.includeUsage), meter: meter, maxBytes: maxReplyBytes, heartbeat: heartbeat) }
            return ProviderReply.json(OpenAIFormat.completion(try await ProviderReply.collect(call, meter: meter, maxBytes: maxReplyBytes)), meter: meter)
        }
        router.add(.get, "/v1/models") { request in
            try key.check(request)
            return ProviderReply.json(OpenAIFormat.models(backends))
        }
        router.add(.post, "/v1/messages", maxBodySize: ChatAPI.maxBodySize) { request in
            try key.check(request)
            let call = try AnthropicFormat.request(request.body, backends: backends)
            let meter = try begin(request, call, .anthropic)
            if call.stream { return try await ProviderReply.stream(call, encoder: AnthropicFormat.Encoder(), meter: meter, maxBytes: maxReplyBytes, heartbeat: heartbeat) }
            return ProviderReply.json(AnthropicFormat.message(try await ProviderReply.collect(call, meter: meter, maxBytes: maxReplyBytes)), meter: meter)
        }
        let generate: Router.Handler = { request in
            try key.check(request)
            // `models/{backend}/{model}:…` names a `backend/model` (the SDK keeps the slash).
            let segment = [request.parameters["backend"], request.parameters["model"]].compactMap { $0 }.joined(separator: "/")
            let (model, method) = try GeminiFormat.split(segment)
            let call = try GeminiFormat.request(request.body, model: model, stream: method == .streamGenerateContent, backends: backends)
            let meter = try begin(request, call, .gemini)
            if call.stream { return try await ProviderReply.stream(call, encoder: GeminiFormat.Encoder(), meter: meter, maxBytes: maxReplyBytes, heartbeat: heartbeat) }
            return ProviderReply.json(GeminiFormat.whole(try await ProviderReply.collect(call, meter: meter, maxBytes: maxReplyBytes)), meter: meter)
        }
        for version in ["v1beta", "v1"] {
            router.add(.post, "/\(version)/models/{model}", maxBodySize: ChatAPI.maxBodySize, generate)
            router.add(.post, "/\(version)/models/{backend}/{model}", maxBodySize: ChatAPI.maxBodySize, generate)
        }
    }
}
