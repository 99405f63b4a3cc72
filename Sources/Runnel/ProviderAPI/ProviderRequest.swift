import ChatBackends
import Foundation
import HTTPServer

/// What every provider format's request comes down to: which backend answers, what it
/// is asked (history and system prompt come in the request: these endpoints keep no
/// conversation), and whether the answer streams.
struct ProviderRequest: Sendable {
    /// The model as the client named it, echoed back in the answer.
    var model: String
    var backend: any ChatBackend
    var chat: ChatRequest
    var stream: Bool
    /// OpenAI's `stream_options.include_usage`.
    var includeUsage = false
}

/// A request body as a JSON object, with readers that say which field is wrong and why.
struct ProviderBody {
    let fields: [String: Any]

    init(_ bytes: [UInt8]) throws(HTTPError) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let fields = object as? [String: Any] else {
            throw .providerInvalid("the body must be a JSON object")
        }
        self.fields = fields
    }

    init(fields: [String: Any]) { self.fields = fields }

    func string(_ name: String, required: Bool = false) throws(HTTPError) -> String? {
        guard let value = fields[name], !(value is NSNull) else {
            if required { throw .providerInvalid("'\(name)' is required", param: name) }
            return nil
        }
        guard let text = value as? String else { throw .providerInvalid("'\(name)' must be a string", param: name) }
        return text
    }

    func bool(_ name: String) throws(HTTPError) -> Bool {
        guard let value = fields[name], !(value is NSNull) else { return false }
        guard let number = value as? NSNumber, Self.isBool(number) else { throw .providerInvalid("'\(name)' must be true or false", param: name) }
        return number.boolValue
    }

    /// A whole number ≥ `minimum`, or nil when absent.
    func int(_ name: String, minimum: Int = 1, required: Bool = false) throws(HTTPError) -> Int? {
        guard let value = fields[name], !(value is NSNull) else {
            if required { throw .providerInvalid("'\(name)' is required", param: name) }
            return nil
        }
        guard let number = value as? NSNumber, !Self.isBool(number), number.doubleValue == number.doubleValue.rounded(),
              let whole = Int(exactly: number.doubleValue), whole >= minimum else {
            throw .providerInvalid("'\(name)' must be a whole number ≥ \(minimum), not \(Self.describe(value))", param: name)
        }
        return whole
    }

    /// A number within `range`, or nil when absent.
    func number(_ name: String, in range: ClosedRange<Double>) throws(HTTPError) -> Double? {
        guard let value = fields[name], !(value is NSNull) else { return nil }
        guard let number = value as? NSNumber, !Self.isBool(number), range.contains(number.doubleValue) else {
            throw .providerInvalid("'\(name)' must be a number from \(range.lowerBound) to \(range.upperBound), not \(Self.describe(value))", param: name)
        }
        return number.doubleValue
    }

    func array(_ name: String, required: Bool = false) throws(HTTPError) -> [Any]? {
        guard let value = fields[name], !(value is NSNull) else {
            if required { throw .providerInvalid("'\(name)' is required (a list of messages)", param: name) }
            return nil
        }
        guard let items = value as? [Any] else { throw .providerInvalid("'\(name)' must be an array", param: name) }
        return items
    }

    func object(_ name: String) throws(HTTPError) -> ProviderBody? {
        guard let value = fields[name], !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any] else { throw .providerInvalid("'\(name)' must be an object", param: name) }
        return ProviderBody(fields: object)
    }

    /// A message's content: a string, or a list of parts of which the `text` ones count
    /// (OpenAI `{"type": "text", "text"}`, Anthropic's blocks, Gemini's parts). Other kinds
    /// (images, tool results) are refused: the backends take text.
    static func text(of content: Any?, at param: String, textKey: String = "text") throws(HTTPError) -> String {
        if let text = content as? String { return text }
        if content == nil || content is NSNull { return "" }  // an assistant turn that only called tools
        guard let parts = content as? [Any] else { throw .providerInvalid("'\(param)' must be a string or a list of text parts", param: param) }
        var text = ""
        for (index, part) in parts.enumerated() {
            guard let fields = part as? [String: Any] else { throw .providerInvalid("'\(param)[\(index)]' must be an object", param: param) }
            if let type = fields["type"] as? String, type != "text" {
                // Anthropic hands earlier thinking back in assistant turns: not part of the text.
                if type == "thinking" || type == "redacted_thinking" { continue }
                throw .providerInvalid("'\(param)[\(index)]' is a '\(type)' part; only text is supported", param: param)
            }
            if fields["thought"] as? Bool == true { continue }
            guard let piece = fields[textKey] as? String else { throw .providerInvalid("'\(param)[\(index)].\(textKey)' must be a string", param: param) }
            text += piece
        }
        return text
    }

    /// JSON `true`/`false` arrive as NSNumbers of type `char` ("c"); numbers never do.
    private static func isBool(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    private static func describe(_ value: Any) -> String {
        if let text = value as? String { return "\"\(text.prefix(40))\"" }
        if let number = value as? NSNumber { return isBool(number) ? (number.boolValue ? "true" : "false") : number.stringValue }
        return value is [Any] ? "an array" : "an object"
    }
}

extension BackendSet {
    /// The backend a provider request's `model` names: a backend name (`mock`, `echo`),
    /// `backend/model`, a configured backend's own model, or a bare model for the default
    /// backend when that one is remote (a local one has only its own model). Nil: unknown.
    func backend(forModel model: String) -> (any ChatBackend)? {
        if let named = backend(named: model) { return named }
        if let slash = model.firstIndex(of: "/"), let named = backend(named: String(model[..<slash])) {
            let rest = String(model[model.index(after: slash)...])
            return rest.isEmpty ? named : named.withModel(rest)
        }
        if let owner = all.first(where: { $0.model == model }) { return owner }
        guard let fallback = backend(named: nil), fallback.kind == "remote", !model.isEmpty else { return nil }
        return fallback.withModel(model)
    }

    /// What `GET /v1/models` lists: each backend by name, and as `backend/model`.
    var modelIDs: [String] {
        all.flatMap { [$0.name, "\($0.name)/\($0.model)"] }
    }
}

extension HTTPError {
    static func unknownModel(_ model: String, known: [String]) -> HTTPError {
        HTTPError(.notFound, "the model '\(model)' does not exist here; use a backend name (\(known.joined(separator: ", "))), 'backend/model', or a model of the default backend",
                  code: "model_not_found")
    }

    static func unsupportedChoiceCount(_ count: Int, param: String) -> HTTPError {
        .providerInvalid("'\(param)' is \(count), but only one choice per request is supported", param: param)
    }
}

/// `--api-key`: what the provider endpoints ask for, the way each SDK sends it
/// (`Authorization: Bearer`, `x-api-key`, `x-goog-api-key`). Nil: open (loopback).
struct ProviderKey: Sendable {
    let key: AccessToken?

    func check(_ request: Request) throws(HTTPError) {
        guard let key else { return }
        let given = Self.given(in: request)
        guard given.contains(where: { key.matches($0) }) else {
            throw HTTPError(.unauthorized, given.isEmpty
                ? "this server needs its API key (--api-key): send it as 'Authorization: Bearer …', 'x-api-key' or 'x-goog-api-key'"
                : "the API key is not this server's", code: "invalid_api_key")
        }
    }

    /// The keys a request carries the way the SDKs send theirs: OpenAI's
    /// `Authorization: Bearer`, Anthropic's `x-api-key`, Gemini's `x-goog-api-key`.
    static func given(in request: Request) -> [String] {
        var given: [String] = []
        if let authorization = request.headers["Authorization"] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { given.append(parts[1].trimmingCharacters(in: .whitespaces)) }
        }
        return given + [request.headers["x-api-key"], request.headers["x-goog-api-key"]].compactMap { $0 }
    }
}
