import ChatBackends
import HTTPServer
import Synchronization

/// One reply of a provider endpoint as `/metrics` and the client limits count it (README
/// "Deploying"), the way a reply of `/api/message` is counted: in flight from the moment
/// its backend starts, then ended exactly once, with its outcome, time to first chunk,
/// duration and output tokens, labelled with its format, and its client's slot freed.
///
/// The reply's side settles the outcome (completed, or failed with a code) as it learns
/// it; whoever finishes with the reply last calls ``end()``, which counts a reply never
/// settled as `interrupted` (its client left first).
final class ProviderMeter: Sendable {
    private struct State {
        var firstChunk: Duration?
        var outputTokens: Int?
        var outcome: Reply.State?
        var failureCode: String?
        var ended = false
    }

    private let metrics: Metrics
    private let backend: String
    private let format: ProviderFormat
    /// Runs once, as the reply ends.
    private let onEnd: @Sendable () -> Void
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(_ metrics: Metrics, backend: String, format: ProviderFormat, onEnd: @escaping @Sendable () -> Void = {}) {
        self.metrics = metrics
        self.backend = backend
        self.format = format
        self.onEnd = onEnd
        metrics.replyStarted()
    }

    /// Notes what the backend produced: its first piece of text or reasoning, its usage.
    func note(_ event: ChatEvent) {
        switch event {
        case .delta, .reasoning:
            state.withLock { if $0.firstChunk == nil { $0.firstChunk = .now - started } }
        case .usage(let usage):
            state.withLock { $0.outputTokens = usage.outputTokens ?? $0.outputTokens }
        default:
            break
        }
    }

    /// The reply's outcome, `completed` or `failed` with its code; the first one stands.
    func settle(_ outcome: Reply.State, code: String? = nil) {
        state.withLock {
            guard $0.outcome == nil, !$0.ended else { return }
            $0.outcome = outcome
            $0.failureCode = code
        }
    }

    /// The access log's fields (README "Deploying"), as for a reply of `/api/message`:
    /// the backend, and the outcome (`streaming` until the reply ends).
    var logFields: [AccessLogEntry.Field] {
        let outcome = state.withLock { $0.ended ? $0.outcome ?? .interrupted : .streaming }
        return [("backend", backend), ("outcome", outcome.rawValue)]
    }

    /// Counts the reply, once; unsettled, it was `interrupted`.
    func end() {
        let ended = state.withLock { state -> State? in
            guard !state.ended else { return nil }
            state.ended = true
            return state
        }
        guard let ended else { return }
        onEnd()
        metrics.replyEnded(Metrics.EndedReply(
            backend: backend, format: format.label, outcome: ended.outcome ?? .interrupted, firstChunk: ended.firstChunk,
            duration: .now - started, outputTokens: ended.outputTokens, failureCode: ended.failureCode))
    }
}
