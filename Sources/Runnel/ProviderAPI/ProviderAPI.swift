import ChatBackends
import HTTPServer

/// The provider-format endpoints (README "SDKs"): OpenAI's, Anthropic's and Gemini's
/// own APIs over any configured backend, so their SDKs work against Runnel by changing
/// the base URL. Errors are rendered in each format by ``ErrorResponses`` (by path).
struct ProviderAPI: Sendable {
    let backends: BackendSet
    let key: ProviderKey

    func install(into router: inout Router) {
        router.add(.post, "/v1/chat/completions", maxBodySize: ChatAPI.maxBodySize) { request in
            try key.check(request)
            let call = try OpenAIFormat.request(request.body, backends: backends)
            if call.stream { return try await ProviderReply.stream(call, encoder: OpenAIFormat.Encoder(includeUsage: call.includeUsage)) }
            return ProviderReply.json(OpenAIFormat.completion(try await ProviderReply.collect(call)))
        }
        router.add(.get, "/v1/models") { request in
            try key.check(request)
            return ProviderReply.json(OpenAIFormat.models(backends))
        }
        router.add(.post, "/v1/messages", maxBodySize: ChatAPI.maxBodySize) { request in
            try key.check(request)
            let call = try AnthropicFormat.request(request.body, backends: backends)
            if call.stream { return try await ProviderReply.stream(call, encoder: AnthropicFormat.Encoder()) }
            return ProviderReply.json(AnthropicFormat.message(try await ProviderReply.collect(call)))
        }
        let generate: Router.Handler = { request in
            try key.check(request)
            // `models/{backend}/{model}:…` names a `backend/model` (the SDK keeps the slash).
            let segment = [request.parameters["backend"], request.parameters["model"]].compactMap { $0 }.joined(separator: "/")
            let (model, method) = try GeminiFormat.split(segment)
            let call = try GeminiFormat.request(request.body, model: model, stream: method == .streamGenerateContent, backends: backends)
            if call.stream { return try await ProviderReply.stream(call, encoder: GeminiFormat.Encoder()) }
            return ProviderReply.json(GeminiFormat.whole(try await ProviderReply.collect(call)))
        }
        for version in ["v1beta", "v1"] {
            router.add(.post, "/\(version)/models/{model}", maxBodySize: ChatAPI.maxBodySize, generate)
            router.add(.post, "/\(version)/models/{backend}/{model}", maxBodySize: ChatAPI.maxBodySize, generate)
        }
    }
}
