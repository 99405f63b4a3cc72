/// Why a reply failed, in the codes of the wire format (README "The wire format").
///
/// `message` is meant for the user: it names the provider and what went wrong, quotes
/// the provider's own explanation when there is one, and never contains an API key
/// (upstream text passes through `SecretRedactor` first).
public struct ChatBackendError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The machine-readable reason; `rawValue` is the code sent to clients.
    public enum Code: String, Sendable {
        /// The upstream refused the credentials (HTTP 401/403).
        case upstreamAuth = "upstream_auth"
        /// The upstream asked us to slow down or the quota is spent (HTTP 429).
        case upstreamRateLimited = "upstream_rate_limited"
        /// The upstream could not be reached, failed (5xx) or dropped the connection.
        case upstreamUnavailable = "upstream_unavailable"
        /// Connecting, the first byte or the next byte took longer than configured.
        case upstreamTimeout = "upstream_timeout"
        /// The upstream answered with something we could not use.
        case upstreamProtocol = "upstream_protocol"
        /// The `replay` backend holds no cassette for the request (README "Record and replay").
        case replayUnmatched = "replay_unmatched"
        /// A bug or an unexpected local failure.
        case internalError = "internal"
    }

    /// The machine-readable reason.
    public var code: Code
    /// A helpful explanation, without secrets.
    public var message: String
    /// The HTTP status to refuse the request with, for a failure known before any stream
    /// (the mock's `status` fault, README "Mock scenarios"); nil: the one `code` maps to.
    public var status: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// Creates an error (labelled form).
    public init(code: Code, message: String) {
        self.init(code, message)
    }

    /// `"<code>: <message>"`, for logs.
    public var description: String { "\(code.rawValue): \(message)" }
}
