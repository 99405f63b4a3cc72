import Foundation

/// How to reach one remote provider: key, base URL and model.
///
/// The key is kept out of every textual form of this value (`description`, `dump`,
/// string interpolation), so logging a configuration cannot leak it.
public struct ProviderSettings: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// The API key, or `nil` (some OpenAI-compatible servers, such as Ollama, need none).
    public var apiKey: String?
    /// The base URL in the provider's SDK convention (OpenAI's includes `/v1`; the
    /// others are the host root).
    public var baseURL: String
    /// The model to ask for.
    public var model: String

    /// Creates settings; an empty or blank key counts as none.
    public init(apiKey: String? = nil, baseURL: String, model: String) {
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.model = model
    }

    /// Whether a usable key is set.
    public var hasAPIKey: Bool { !(apiKey ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }

    /// The key with surrounding whitespace removed (keys pasted from a file often end
    /// with a newline), or `nil`.
    var trimmedKey: String? {
        guard hasAPIKey, let apiKey else { return nil }
        return apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The base URL without trailing slashes when it is an absolute http(s) URL with a
    /// host; `nil` otherwise.
    var validatedBaseURL: URL? {
        var text = baseURL.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else { return nil }
        return url
    }

    /// Whether `baseURL` is `other`, ignoring trailing slashes and case of the host.
    func hasBaseURL(_ other: String) -> Bool {
        func normal(_ text: String) -> String {
            var text = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            while text.hasSuffix("/") { text.removeLast() }
            return text
        }
        return normal(baseURL) == normal(other)
    }

    /// `"<model> at <base URL> (key set)"`; never the key.
    public var description: String {
        "\(model) at \(baseURL) (\(hasAPIKey ? "key set" : "no key"))"
    }

    /// What `dump` and debuggers show: everything but the key.
    public var customMirror: Mirror {
        Mirror(self, children: ["model": model, "baseURL": baseURL, "apiKey": hasAPIKey ? "[set]" : "[none]"])
    }
}

extension ProviderSettings {
    /// `path` (and `query`) appended to the base URL, or an error naming the bad setting.
    func endpoint(_ path: String, query: String? = nil, label: String) throws(ChatBackendError) -> URL {
        guard let base = validatedBaseURL,
              let url = URL(string: base.absoluteString + path + (query.map { "?" + $0 } ?? "")) else {
            throw ChatBackendError(.upstreamUnavailable, "\(label): the base URL \"\(baseURL)\" is not an http(s) URL")
        }
        return url
    }
}
