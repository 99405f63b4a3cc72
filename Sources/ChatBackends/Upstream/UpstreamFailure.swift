import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Turns what went wrong upstream (a transport error, an HTTP status, a provider's error
/// object) into a `ChatBackendError` a user can act on.
enum UpstreamFailure {
    /// Provider messages are quoted up to this many characters.
    static let maxQuotedMessage = 300

    /// The code for an HTTP status: 401/403 auth, 429 rate limit, 408 timeout, 5xx
    /// unavailable; any other non-success status means the request or response was not
    /// what the other side expected.
    static func code(forStatus status: Int) -> ChatBackendError.Code {
        switch status {
        case 401, 403: .upstreamAuth
        case 429: .upstreamRateLimited
        case 408: .upstreamTimeout
        case 500...599: .upstreamUnavailable
        default: .upstreamProtocol
        }
    }

    /// The error for a non-success response, quoting the provider's message from `body`.
    static func httpStatus(_ status: Int, body: Data, label: String, secrets: [String]) -> ChatBackendError {
        var message = "\(label): HTTP \(status)"
        if let detail = providerMessage(in: body) ?? plainText(body) {
            message += ": " + quote(detail, secrets: secrets)
        }
        var code = code(forStatus: status)
        // Gemini rejects a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
        if status == 400 && String(decoding: body, as: UTF8.self).contains("API_KEY_INVALID") { code = .upstreamAuth }
        if code == .upstreamAuth { message += " (check the API key)" }
        if (300..<400).contains(status) { message += " (redirects are not followed; check the base URL)" }
        return ChatBackendError(code, message)
    }

    /// What went wrong below HTTP, whichever transport saw it.
    enum TransportProblem: Error, Equatable {
        case timedOut, cannotConnect, cannotResolve, connectionLost, tlsFailed, unusableURL
        case malformedResponse(String?)
        case other(String)
    }

    /// The error for a transport failure reported by URLSession.
    static func transport(_ error: Error, label: String, url: URL?) -> ChatBackendError {
        guard let urlError = error as? URLError else {
            return transport(.other(error.localizedDescription), label: label, url: url)
        }
        let problem: TransportProblem
        switch urlError.code {
        case .timedOut: problem = .timedOut
        case .cannotConnectToHost: problem = .cannotConnect
        case .cannotFindHost, .dnsLookupFailed: problem = .cannotResolve
        case .networkConnectionLost, .notConnectedToInternet: problem = .connectionLost
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid: problem = .tlsFailed
        case .badServerResponse, .cannotParseResponse, .cannotDecodeRawData, .cannotDecodeContentData: problem = .malformedResponse(nil)
        case .badURL, .unsupportedURL: problem = .unusableURL
        default: problem = .other("\(urlError.code.rawValue)")
        }
        return transport(problem, label: label, url: url)
    }

    /// The error for a transport failure, said the same way for every transport.
    static func transport(_ problem: TransportProblem, label: String, url: URL?) -> ChatBackendError {
        let target = url.map(displayURL) ?? "the upstream"
        switch problem {
        case .timedOut:
            return ChatBackendError(.upstreamTimeout, "\(label): request to \(target) timed out")
        case .cannotConnect:
            return ChatBackendError(.upstreamUnavailable, "\(label): cannot connect to \(target) (connection refused or unreachable)")
        case .cannotResolve:
            return ChatBackendError(.upstreamUnavailable, "\(label): cannot resolve the host of \(target)")
        case .connectionLost:
            return ChatBackendError(.upstreamUnavailable, "\(label): connection to \(target) was lost")
        case .tlsFailed:
            return ChatBackendError(.upstreamUnavailable, "\(label): TLS handshake with \(target) failed")
        case .malformedResponse(let detail):
            return ChatBackendError(.upstreamProtocol, "\(label): \(target) sent a malformed HTTP response" + (detail.map { " (\($0))" } ?? ""))
        case .unusableURL:
            return ChatBackendError(.upstreamUnavailable, "\(label): \(target) is not a usable URL")
        case .other(let detail):
            return ChatBackendError(.upstreamUnavailable, "\(label): request to \(target) failed (\(detail))")
        }
    }

    /// The error for a call that went quiet past its limit at `phase`.
    static func timeout(_ phase: StreamWatchdog.Phase, seconds: TimeInterval, label: String, target: String) -> ChatBackendError {
        let limit = seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : "\(Int(seconds.rounded())) s"
        switch phase {
        case .connect:
            return ChatBackendError(.upstreamTimeout, "\(label): could not connect to \(target) and send the request within \(limit)")
        case .firstByte:
            return ChatBackendError(.upstreamTimeout, "\(label): \(target) did not start responding within \(limit)")
        case .idle:
            return ChatBackendError(.upstreamTimeout, "\(label): \(target) stopped sending for \(limit) mid-response")
        }
    }

    /// The message of a provider error object, in any of the common shapes:
    /// `{"error": {"message": …}}` (OpenAI, Anthropic, Gemini), `{"error": "…"}`
    /// (Ollama, llama.cpp), `[{"error": …}]` (Gemini), `{"message": …}`, `{"detail": …}`.
    static func providerMessage(in body: Data) -> String? {
        guard let json = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return nil  // not JSON: the caller falls back to the text itself
        }
        return providerMessage(inJSON: json)
    }

    static func providerMessage(inJSON json: Any) -> String? {
        if let array = json as? [Any], let first = array.first { return providerMessage(inJSON: first) }
        guard let object = json as? [String: Any] else { return nil }
        if let error = object["error"] as? [String: Any] {
            return error["message"] as? String ?? (error["type"] as? String) ?? (error["status"] as? String)
        }
        return object["error"] as? String ?? object["message"] as? String ?? object["detail"] as? String
    }

    /// Provider text made safe to show: secrets removed, one line, bounded length.
    static func quote(_ text: String, secrets: [String]) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        let redacted = SecretRedactor.redact(oneLine, secrets: secrets)
        return redacted.count > maxQuotedMessage ? redacted.prefix(maxQuotedMessage) + "…" : redacted
    }

    /// The URL without credentials, query or fragment, for messages.
    static func displayURL(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "the upstream" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "the upstream"
    }

    /// A short non-JSON body (an HTML error page from a proxy, a plain-text reason).
    private static func plainText(_ body: Data) -> String? {
        let text = String(decoding: body.prefix(2048), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, !text.hasPrefix("<") else { return nil }
        return text
    }
}
