import ChatBackends
import HTTPServer

/// Gemini's `generateContent` over any backend: `POST /v1beta/models/{model}:generateContent`
/// (one `GenerateContentResponse`) and `…:streamGenerateContent?alt=sse` (one per piece).
/// Reasoning goes out as parts with `"thought": true`; `usageMetadata` counts
/// `thoughtsTokenCount` apart from `candidatesTokenCount`.
enum GeminiFormat {
    /// What the path's last segment asks: the router hands over `{model}` whole
    /// (`gemini-2.5-flash:streamGenerateContent`); the method follows the last colon.
    enum Method: String {
        case generateContent, streamGenerateContent
    }

    static func split(_ segment: String) throws(HTTPError) -> (model: String, method: Method) {
        guard let colon = segment.lastIndex(of: ":"), let method = Method(rawValue: String(segment[segment.index(after: colon)...])) else {
            throw HTTPError(.notFound, "no such method on models/\(segment); use :generateContent or :streamGenerateContent")
        }
        return (String(segment[..<colon]), method)
    }

    static func request(_ body: [UInt8], model: String, stream: Bool, backends: BackendSet) throws(HTTPError) -> ProviderRequest {
        let json = try ProviderBody(body)
        let items = try json.array("contents", required: true) ?? []
        guard !items.isEmpty else { throw .providerInvalid("contents must not be empty") }
        var messages: [ChatMessage] = []
        for (index, item) in items.enumerated() {
            guard let fields = item as? [String: Any] else { throw .providerInvalid("contents[\(index)] must be an object") }
            let role: ChatMessage.Role = switch try ProviderBody(fields: fields).string("role") ?? "user" {
            case "user": .user
            case "model": .assistant
            case let other: throw .providerInvalid("contents[\(index)].role: '\(other)' is not one of user, model")
            }
            let text = try ProviderBody.text(of: fields["parts"] ?? [], at: "contents[\(index)].parts")
            if text.isEmpty && role == .user { throw .providerInvalid("contents[\(index)].parts: the text must not be empty") }
            messages.append(ChatMessage(role: role, content: text))
        }
        var instruction = try json.object("systemInstruction")
        if instruction == nil { instruction = try json.object("system_instruction") }
        let system = try instruction.map { value throws(HTTPError) in try ProviderBody.text(of: value.fields["parts"] ?? [], at: "systemInstruction.parts") }
        var maxTokens: Int?
        var temperature: Double?
        if let config = try json.object("generationConfig") {
            maxTokens = try config.int("maxOutputTokens")
            temperature = try config.number("temperature", in: 0...2)
            if let count = try config.int("candidateCount"), count > 1 { throw .unsupportedChoiceCount(count, param: "candidateCount") }
        }
        var name = model
        if name.hasPrefix("models/") { name.removeFirst("models/".count) }
        guard let backend = backends.backend(forModel: name) else { throw .unknownModel(name, known: backends.names) }
        return ProviderRequest(model: name, backend: backend, chat: ChatRequest(messages: messages, system: system, temperature: temperature, maxTokens: maxTokens),
                               stream: stream)
    }

    /// `STOP`, `MAX_TOKENS`, `SAFETY`, `MALFORMED_FUNCTION_CALL`.
    static func finishReason(_ reason: ChatFinishReason?) -> String {
        switch reason ?? .stop {
        case .stop: "STOP"
        case .length: "MAX_TOKENS"
        case .contentFilter: "SAFETY"
        case .toolCalls: "MALFORMED_FUNCTION_CALL"
        }
    }

    /// The output tokens include the reasoning ones (``ChatUsage``); Gemini counts the
    /// candidates' apart from the thoughts'.
    static func usage(_ summary: ProviderReply.Summary) -> JSON {
        let reasoning = min(summary.usage.reasoningTokens ?? 0, summary.outputTokens)
        var fields: [(String, JSON)] = [
            ("promptTokenCount", .int(summary.inputTokens)), ("candidatesTokenCount", .int(summary.outputTokens - reasoning)),
        ]
        if reasoning > 0 { fields.append(("thoughtsTokenCount", .int(reasoning))) }
        fields.append(("totalTokenCount", .int(summary.inputTokens + summary.outputTokens)))
        return .object(fields)
    }

    /// A `GenerateContentResponse` with these parts, and the end's fields when `final`.
    static func response(_ summary: ProviderReply.Summary, parts: [JSON], final: Bool) -> JSON {
        var candidate: [(String, JSON)] = [("content", .object([("parts", .array(parts)), ("role", .string("model"))]))]
        if final { candidate.append(("finishReason", .string(finishReason(summary.finish)))) }
        candidate.append(("index", .int(0)))
        var fields: [(String, JSON)] = [("candidates", .array([.object(candidate)]))]
        if final { fields.append(("usageMetadata", usage(summary))) }
        fields += [("modelVersion", .string(summary.model)), ("responseId", .string(summary.id))]
        return .object(fields)
    }

    static func part(_ text: String, thought: Bool) -> JSON {
        thought ? .object([("text", .string(text)), ("thought", .bool(true))]) : .object([("text", .string(text))])
    }

    /// The non-streamed answer: the thought part first, then the text.
    static func whole(_ summary: ProviderReply.Summary) -> JSON {
        var parts: [JSON] = []
        if !summary.reasoning.isEmpty { parts.append(part(summary.reasoning, thought: true)) }
        parts.append(part(summary.text, thought: false))
        return response(summary, parts: parts, final: true)
    }

    /// The streamed answers: one per piece, then one with the finish reason and usage.
    struct Encoder: ProviderReply.Encoder {
        /// None: google-genai reads any line that is not `data:` as JSON, so even an SSE
        /// comment would break its stream.
        let heartbeat: [UInt8]? = nil

        func start(_ summary: ProviderReply.Summary) -> [UInt8] { [] }

        func encode(_ event: ChatEvent, _ summary: ProviderReply.Summary) -> [UInt8] {
            switch event {
            case .delta(let text): ProviderReply.event(GeminiFormat.response(summary, parts: [GeminiFormat.part(text, thought: false)], final: false))
            case .reasoning(let text): ProviderReply.event(GeminiFormat.response(summary, parts: [GeminiFormat.part(text, thought: true)], final: false))
            default: []
            }
        }

        func finish(_ summary: ProviderReply.Summary) -> [UInt8] {
            ProviderReply.event(GeminiFormat.response(summary, parts: [GeminiFormat.part("", thought: false)], final: true))
        }

        /// Gemini's error object as an event; the SDK raises its `APIError` on it.
        func fail(_ error: HTTPError, _ summary: ProviderReply.Summary) -> [UInt8] {
            ProviderReply.event(ProviderFormat.gemini.errorBody(error))
        }
    }
}
