import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Everything one exchange with a backend produced, with arrival times: the request, the
/// upstream's raw response (for a remote backend), the normalized events and the outcome.
/// What a cassette is made of (README "Record and replay") and what the inspector shows.
///
/// ```swift
/// let trace = ExchangeTrace(maxRawBytes: ExchangeTrace.defaultMaxRawBytes)
/// for try await event in trace.stream(backend, request) { … }
/// let cassette = Cassette(trace.snapshot)
/// ```
///
/// `RemoteCall` finds the trace of the exchange it serves in the task-local ``current``:
/// `stream(_:_:)` sets it around `backend.stream`, whose task inherits it. So every remote
/// backend is traced by that one hook, and none of them knows about it.
public final class ExchangeTrace: Sendable {
    /// The trace of the exchange the current task serves, if one is traced.
    @TaskLocal public static var current: ExchangeTrace?

    /// Raw upstream bytes kept when no other bound is given: enough for a long reply.
    public static let defaultMaxRawBytes = 8 << 20

    /// How an exchange ended.
    public enum Outcome: Sendable, Equatable {
        /// The backend finished.
        case completed
        /// The backend failed.
        case failed(ChatBackendError)
        /// The consumer stopped reading first (stopped, abandoned, shut down).
        case cancelled
    }

    /// The request as sent upstream, with credentials removed (see ``UpstreamRequest/init(_:body:secrets:)``).
    public struct UpstreamRequest: Sendable, Equatable, Codable {
        public var method: String
        public var url: String
        /// Names lowercased.
        public var headers: [String: String]
        /// The body as text.
        public var body: String
    }

    /// One network read of the upstream response (or its head), timed from the request.
    public struct Frame: Sendable {
        /// Since the request.
        public var at: Duration
        /// As the read delivered them.
        public var bytes: Data
    }

    /// One normalized event, timed from the request.
    public struct TimedEvent: Sendable {
        /// Since the request.
        public var at: Duration
        /// As the backend yielded it.
        public var event: ChatEvent
    }

    /// What a trace holds at one moment.
    public struct Snapshot: Sendable {
        /// The backend's name, model asked for and kind (`ChatBackend`).
        public var backend = ""
        public var model = ""
        public var kind = ""
        /// The request's conversation and system prompt.
        public var messages: [ChatMessage] = []
        public var system: String?
        /// Wall-clock time of the request, for file names and listings.
        public var startedAt = Date()
        /// A remote backend's HTTP request.
        public var upstream: UpstreamRequest?
        /// The response head, once it came, and when.
        public var status: Int?
        public var responseHeaders: [String: String] = [:]
        public var headAt: Duration?
        /// The body reads kept (see ``maxRawBytes``).
        public var frames: [Frame] = []
        /// Raw bytes received, kept or not.
        public var rawBytes = 0
        /// Raw bytes received past the bound and not kept.
        public var rawBytesDropped = 0
        /// The normalized events.
        public var events: [TimedEvent] = []
        /// Nil while the exchange goes on.
        public var outcome: Outcome?
        /// Values the upstream must not see written anywhere (the API key).
        var secrets: [String] = []
    }

    /// The most raw response bytes this trace keeps; later reads are counted, not kept.
    public let maxRawBytes: Int
    private let started = ContinuousClock.now
    private let state = Locked(Snapshot())
    private let finishHandlers = Locked<[@Sendable (Snapshot) -> Void]?>([])

    /// A trace that keeps at most `maxRawBytes` of raw response.
    public init(maxRawBytes: Int = ExchangeTrace.defaultMaxRawBytes) {
        self.maxRawBytes = maxRawBytes
    }

    /// What the trace holds now.
    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Time since the trace began (the request).
    public var elapsed: Duration { .now - started }

    /// Runs `handler` with the final snapshot once the exchange ends (at once if it has).
    public func onFinish(_ handler: @escaping @Sendable (Snapshot) -> Void) {
        let pending = finishHandlers.withLock { handlers -> Bool in
            guard handlers != nil else { return false }
            handlers?.append(handler)
            return true
        }
        if !pending { handler(snapshot) }
    }

    /// `backend.stream(request)`, traced: the request, every event and the outcome are
    /// noted, and a remote backend's `RemoteCall` notes its raw response here.
    public func stream(_ backend: any ChatBackend, _ request: ChatRequest) -> ChatEvents {
        state.withLock {
            $0.backend = backend.name
            $0.model = backend.model
            $0.kind = backend.kind
            $0.messages = request.messages
            $0.system = request.system
        }
        // Bound while the backend makes its events (a `RecordingBackend` looks for it) and
        // while they run (a `RemoteCall` notes its raw response in it).
        let inner = Self.$current.withValue(self) { backend.stream(request) }
        return EventStream.run(label: backend.name) { [self] yield in
            do {
                try await Self.$current.withValue(self) {
                    try await inner.forEach { event in
                        self.note(event)
                        yield(event)
                    }
                }
                finish(Task.isCancelled ? .cancelled : .completed)
            } catch let error as ChatBackendError {
                finish(.failed(error))
                throw error
            } catch {
                let failure = ChatBackendError(.internalError, "\(error)")
                finish(.failed(failure))
                throw failure
            }
        }
    }

    // MARK: - Noting

    func note(_ event: ChatEvent) {
        let at = elapsed
        state.withLock { $0.events.append(TimedEvent(at: at, event: event)) }
    }

    /// The request `RemoteCall` is about to send, without its credentials.
    func noteUpstream(_ request: URLRequest, body: Data, secrets: [String]) {
        let upstream = UpstreamRequest(request, body: body, secrets: secrets)
        state.withLock {
            $0.upstream = upstream
            $0.secrets = secrets
        }
    }

    /// A part of the upstream response as it arrives.
    func note(_ part: UpstreamPart) {
        let at = elapsed
        state.withLock { snapshot in
            switch part {
            case .head(let status, let headers):
                snapshot.status = status
                snapshot.responseHeaders = headers
                snapshot.headAt = at
            case .body(let data):
                snapshot.rawBytes += data.count
                let kept = snapshot.rawBytes - snapshot.rawBytesDropped - data.count
                if kept + data.count <= maxRawBytes {
                    snapshot.frames.append(Frame(at: at, bytes: data))
                } else {
                    snapshot.rawBytesDropped += data.count
                }
            }
        }
    }

    func finish(_ outcome: Outcome) {
        let final = state.withLock { snapshot -> Snapshot? in
            guard snapshot.outcome == nil else { return nil }
            snapshot.outcome = outcome
            return snapshot
        }
        guard let final else { return }
        let handlers = finishHandlers.withLock { handlers in
            defer { handlers = nil }
            return handlers ?? []
        }
        for handler in handlers { handler(final) }
    }
}

extension ExchangeTrace.UpstreamRequest {
    /// Header names whose values are credentials: dropped whatever they hold.
    static let credentialHeaders: Set<String> = ["authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie"]

    /// `request` as a cassette keeps it: credential headers say "[redacted]"; every other
    /// header value, the URL and the body lose the configured keys and anything shaped
    /// like a key (`SecretRedactor`).
    init(_ request: URLRequest, body: Data, secrets: [String]) {
        func clean(_ text: String) -> String { SecretRedactor.redact(text, secrets: secrets) }
        method = request.httpMethod ?? "GET"
        url = clean(request.url?.absoluteString ?? "")
        var headers: [String: String] = [:]
        for (name, value) in request.allHTTPHeaderFields ?? [:] {
            let lowered = name.lowercased()
            headers[lowered] = Self.credentialHeaders.contains(lowered) ? SecretRedactor.replacement : clean(value)
        }
        self.headers = headers
        self.body = clean(String(decoding: body, as: UTF8.self))
    }
}
