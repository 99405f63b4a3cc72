/// A source of streamed chat replies: a local script or a remote model.
///
/// ```swift
/// for try await event in backend.stream(ChatRequest(messages: history)) {
///     if case .delta(let text) = event { send(text) }
/// }
/// ```
///
/// Ending the iteration early (breaking out, or cancelling the consuming task) cancels
/// the work behind the stream and closes any upstream connection within milliseconds;
/// nothing else needs to be called.
public protocol ChatBackend: Sendable {
    /// The name requests use to pick this backend: "echo", "mock", "openai", "gemini",
    /// "anthropic".
    var name: String { get }
    /// The model asked for, e.g. "echo", "mock-1", "gpt-4o-mini".
    var model: String { get }
    /// "local" (answers in-process) or "remote" (calls an upstream API).
    var kind: String { get }
    /// Streams the reply to `request`. Failures arrive as a thrown `ChatBackendError`,
    /// possibly after some deltas.
    func stream(_ request: ChatRequest) -> ChatEvents
    /// A failure known before any stream, which a server answers as an HTTP status
    /// instead of starting one (the mock's `status` fault). `stream` fails the same way.
    func refusal(_ request: ChatRequest) -> ChatBackendError?
    /// The same backend asking its upstream for `model` instead (a request's
    /// `backend/model`). A local backend has one model and returns itself.
    func withModel(_ model: String) -> any ChatBackend
}

extension ChatBackend {
    /// A local backend's answer: itself.
    public func withModel(_ model: String) -> any ChatBackend { self }

    /// Most backends only know once they ask: none.
    public func refusal(_ request: ChatRequest) -> ChatBackendError? { nil }
}
