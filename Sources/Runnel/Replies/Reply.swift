import ChatBackends
import Foundation
import HTTPServer
import Sockets

/// One reply, apart from any connection (README "Replies"). It is the single owner of:
/// - the conversation's ticket, finished exactly once, by ``end(_:)``;
/// - the backend task, which appends to the log and is cancelled by ``end(_:)``;
/// - the log of its events, bounded by `maxBytes` whatever its readers do.
///
/// Connections are readers with their own cursor into the log (``ReplyReader``). When the
/// last reader leaves, a plain reply ends at once (its backend cancelled, as when a client
/// hangs up); a resumable one goes on alone for `grace`, waiting for a reader to return.
final class Reply: Sendable {
    /// Where a reply stands; every state but `streaming` is final.
    enum State: String, Sendable {
        case streaming, completed, stopped, failed, interrupted
    }

    /// How a reply ends; the first ending wins, later ones change nothing.
    enum Ending: Sendable, Equatable {
        /// The backend finished.
        case completed
        /// The backend failed, or the reply broke a limit: an `error` event.
        case failed(code: String, message: String)
        /// `POST /api/replies/{id}/stop`.
        case stopped
        /// No reader left (a plain client hung up, or a resumable reply's grace ran out).
        case abandoned
        /// The server is stopping: an `error` event `shutting_down`.
        case shuttingDown
        /// The mock's `drop` fault (README "Mock scenarios"): no closing events, and every
        /// reader's connection closes without ending its stream.
        case dropped
    }

    typealias Settings = ReplyLimits

    /// Room kept in the log for the closing events beyond the text they repeat.
    static let closingReserve = 2048

    let id: String
    let conversationID: String
    /// The user's message this replies to.
    let message: String
    let resumable: Bool
    let backendName: String
    /// When the reply began, for listings.
    let startedAt = Date()
    /// The exchange with its times and raw frames, in dev mode (the inspector's).
    let trace: ExchangeTrace?
    private let settings: Settings
    private let conversations: ConversationStore
    private let progress: Lock<Progress>

    /// What the reply holds, under its lock (internal only for `Reply+ClosingEvents.swift`).
    struct Progress {
        var log = ReplyLog()
        var state = State.streaming
        var ticket: ConversationStore.Ticket?
        var text = ""
        /// The reasoning, in full (the end event's `thinking`).
        var thinking = ""
        /// Bytes the text takes once escaped in the end event (and, at most, in `json_data`).
        var escapedTextBytes = 0
        /// Bytes the reasoning takes once escaped in the end event.
        var escapedThinkingBytes = 0
        var finishReason: ChatFinishReason?
        var model: String
        var usage: ChatUsage?
        var firstChunk: Duration?
        let started = ContinuousClock.now
        /// How long the reply took, and the code of its `error` event: set as it ends.
        var duration: Duration?
        var failureCode: String?
        /// Set by the ending `.dropped`: readers close their connections at the end.
        var dropsConnections = false
        var readers = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters woken before they began to wait (their deadline or cancellation came first).
        var woken: Set<Int> = []
        var nextWaiter = 0
        var backend: Task<Void, Never>?
        var graceTimer: Task<Void, Never>?
        /// Called once, as the reply ends, then dropped: it holds the registry that holds
        /// this reply, and kept it would tie the two (and every retained reply) together
        /// for good once the app lets go of them.
        var onEnd: (@Sendable (Reply) -> Void)?
    }

    init(
        id: String, ticket: ConversationStore.Ticket, message: String, resumable: Bool, backend: any ChatBackend,
        settings: Settings, conversations: ConversationStore, onEnd: @escaping @Sendable (Reply) -> Void
    ) {
        self.id = id
        self.conversationID = ticket.id
        self.message = message
        self.resumable = resumable
        self.backendName = backend.name
        self.settings = settings
        self.conversations = conversations
        self.progress = Lock(Progress(ticket: ticket, model: backend.model, onEnd: onEnd))
        self.trace = settings.tracedRawBytes.map { ExchangeTrace(maxRawBytes: $0) }
    }

    var state: State { progress.withLock { $0.state } }
    /// Whether the reply ended by dropping its readers' connections (the mock's `drop` fault).
    var dropsConnections: Bool { progress.withLock { $0.dropsConnections } }
    var eventCount: Int { progress.withLock { $0.log.eventCount } }
    /// The connections reading it now (0: a resumable reply going on alone, in its grace).
    var readerCount: Int { progress.withLock { $0.readers } }

    /// Starts the backend task (on `executor`, the connection's loop, when given).
    func start(_ backend: any ChatBackend, request: ChatRequest, executor: (any TaskExecutor)?) {
        let task = Task(executorPreference: executor) { [trace] in
            await ChatStream.pump(trace?.stream(backend, request) ?? backend.stream(request), into: self)
        }
        let ended = progress.withLock { progress -> Bool in
            guard progress.state == .streaming else { return true }
            progress.backend = task
            return false
        }
        if ended { task.cancel() }
    }

    // MARK: - The backend side

    /// What the backend produced: a piece of the reply, or of the reasoning before it; or
    /// a frame written as is (the mock's malformed frame, which is neither).
    enum Piece {
        case chunk(String)
        case thinking(String)
        case frame([UInt8])
    }

    /// Appends a `chunk` or `thinking` event; false once the reply has ended (stop pulling
    /// the backend). Both count against the log's cap, with the room the closing events
    /// will take to repeat them: the text twice (`full_response`, and at most `json_data`),
    /// the reasoning once (`thinking`).
    func append(_ piece: Piece) -> Bool {
        var event: [UInt8] = []
        // What the piece adds, escaped, to the end event's text and reasoning.
        var textGrowth = 0
        var thinkingGrowth = 0
        switch piece {
        case .chunk(let text):
            ChatStream.appendTextEvent("chunk", text, to: &event)
            textGrowth = event.count - ChatStream.chunkEventOverhead
        case .thinking(let text):
            ChatStream.appendTextEvent("thinking", text, to: &event)
            thinkingGrowth = event.count - ChatStream.thinkingEventOverhead
        case .frame(let bytes):
            event = bytes
        }
        enum Outcome { case appended([CheckedContinuation<Void, Never>]), ended, tooLarge }
        let outcome = progress.withLock { progress -> Outcome in
            guard progress.state == .streaming else { return .ended }
            let escapedText = progress.escapedTextBytes + textGrowth
            let escapedThinking = progress.escapedThinkingBytes + thinkingGrowth
            guard progress.log.byteCount + event.count + 2 * escapedText + escapedThinking + Self.closingReserve <= settings.maxBytes else {
                return .tooLarge
            }
            if progress.firstChunk == nil { progress.firstChunk = .now - progress.started }
            progress.log.append(event)
            switch piece {
            case .chunk(let text): progress.text += text
            case .thinking(let text): progress.thinking += text
            case .frame: break
            }
            progress.escapedTextBytes = escapedText
            progress.escapedThinkingBytes = escapedThinking
            return .appended(Self.takeWaiters(&progress))
        }
        switch outcome {
        case .appended(let waiters):
            for waiter in waiters { waiter.resume() }
            return true
        case .ended:
            return false
        case .tooLarge:
            end(.failed(code: "reply_too_large", message: "the reply exceeded \(settings.maxBytes) bytes (--max-reply-bytes) and was cut short"))
            return false
        }
    }

    /// What the metrics and the access log tell of a reply (README "Deploying").
    struct Summary: Sendable {
        let state: State
        let firstChunk: Duration?
        /// Nil while streaming.
        let duration: Duration?
        let outputTokens: Int?
        /// The `error` event's code of a failed reply (`upstream_timeout`, `reply_too_large`…).
        let failureCode: String?
    }

    var summary: Summary {
        progress.withLock {
            Summary(state: $0.state, firstChunk: $0.firstChunk, duration: $0.duration,
                    outputTokens: $0.usage?.outputTokens, failureCode: $0.failureCode)
        }
    }

    /// What the inspector lists of a reply.
    struct Overview: Sendable {
        let state: State
        let model: String
        let usage: ChatUsage?
        let firstChunk: Duration?
        /// Until now while streaming.
        let elapsed: Duration
        let textBytes: Int
        let logBytes: Int
        let events: Int
    }

    var overview: Overview {
        progress.withLock {
            Overview(state: $0.state, model: $0.model, usage: $0.usage, firstChunk: $0.firstChunk,
                     elapsed: $0.duration ?? .now - $0.started, textBytes: $0.text.utf8.count,
                     logBytes: $0.log.byteCount, events: $0.log.eventCount)
        }
    }

    func note(model: String) { progress.withLock { $0.model = model } }
    func note(usage: ChatUsage) { progress.withLock { $0.usage = usage } }
    func note(finish reason: ChatFinishReason) { progress.withLock { $0.finishReason = reason } }

    // MARK: - Ending

    /// Ends the reply, if it has not ended yet: appends the closing events, records the
    /// exchange in the conversation (the one place its ticket is finished), cancels the
    /// backend and wakes every reader. True if this call ended it.
    @discardableResult
    func end(_ ending: Ending) -> Bool {
        typealias Taken = (
            ticket: ConversationStore.Ticket?, text: String, backend: Task<Void, Never>?, graceTimer: Task<Void, Never>?,
            waiters: [CheckedContinuation<Void, Never>], onEnd: (@Sendable (Reply) -> Void)?
        )
        let taken = progress.withLock { progress -> Taken? in
            guard progress.state == .streaming else { return nil }
            let closing = closingEvents(ending, progress)
            progress.state = Self.state(after: ending)
            progress.duration = .now - progress.started
            if case .failed(let code, _) = ending { progress.failureCode = code }
            if ending == .dropped { progress.dropsConnections = true }
            progress.log.append(closing)
            progress.log.shrinkToFit()
            defer { progress.ticket = nil; progress.graceTimer = nil; progress.onEnd = nil }
            return (progress.ticket, progress.text, progress.backend, progress.graceTimer, Self.takeWaiters(&progress), progress.onEnd)
        }
        guard let (ticket, text, backend, graceTimer, waiters, onEnd) = taken else { return false }
        if let ticket { conversations.finish(ticket, user: message, reply: text, interrupted: ending != .completed) }
        backend?.cancel()
        graceTimer?.cancel()
        for waiter in waiters { waiter.resume() }
        onEnd?(self)
        return true
    }

    /// Waits until the backend task is over (after ``end(_:)`` cancelled it: promptly).
    func backendFinished() async {
        await progress.withLock { $0.backend }?.value
    }

    private static func state(after ending: Ending) -> State {
        switch ending {
        case .completed: return .completed
        case .failed, .shuttingDown: return .failed
        case .stopped: return .stopped
        case .abandoned, .dropped: return .interrupted
        }
    }

    // MARK: - Readers

    /// Counts a reader in; a returning reader ends a resumable reply's grace period.
    func attach() {
        let timer = progress.withLock { progress -> Task<Void, Never>? in
            progress.readers += 1
            defer { progress.graceTimer = nil }
            return progress.graceTimer
        }
        timer?.cancel()
    }

    /// Counts a reader out. The last one to leave ends a plain reply now and starts a
    /// resumable one's grace period.
    func detach() {
        enum Next { case nothing, abandon, startGrace }
        let next = progress.withLock { progress -> Next in
            progress.readers -= 1
            guard progress.readers == 0, progress.state == .streaming else { return .nothing }
            return resumable ? .startGrace : .abandon
        }
        switch next {
        case .nothing: break
        case .abandon: end(.abandoned)
        case .startGrace:
            let grace = settings.grace
            let timer = Task { [weak self] in
                do { try await Task.sleep(for: grace) } catch { return }  // a reader came back
                self?.graceExpired()
            }
            let stale = progress.withLock { progress -> Task<Void, Never>? in
                guard progress.readers == 0, progress.state == .streaming else { return timer }
                defer { progress.graceTimer = timer }
                return progress.graceTimer
            }
            stale?.cancel()
        }
    }

    private func graceExpired() {
        let alone = progress.withLock { $0.readers == 0 && $0.state == .streaming }
        if alone { end(.abandoned) }
    }

    /// The bytes of the events after `cursor` (waiting for at least one unless the reply
    /// has ended), the new cursor, and whether that was the last of them. The wait also
    /// ends, with nothing, at `deadline` (a timer on `writer`'s event loop: no task) and
    /// on cancellation.
    func events(
        after cursor: Int, ids: Bool, until deadline: ContinuousClock.Instant? = nil, on writer: (any ResponseBodyWriter)? = nil
    ) async -> (bytes: [UInt8], cursor: Int, ended: Bool) {
        if let ready = eventsNow(after: cursor, ids: ids) { return ready }
        if Task.isCancelled { return ([], cursor, false) }
        let waiter = progress.withLock { progress -> Int in
            progress.nextWaiter += 1
            return progress.nextWaiter
        }
        let timer = deadline.flatMap { deadline in writer?.schedule(at: deadline) { [self] in wake(waiter) } }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = progress.withLock { progress -> Bool in
                    if progress.woken.remove(waiter) != nil || progress.log.eventCount > cursor || progress.state != .streaming
                        || Task.isCancelled { return true }
                    progress.waiters[waiter] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            wake(waiter)
        }
        timer?.cancel()
        progress.withLock { _ = $0.woken.remove(waiter) }
        return eventsNow(after: cursor, ids: ids) ?? ([], cursor, false)
    }

    /// Ends the wait of `waiter` (its deadline passed, or its task was cancelled), or the
    /// wait it is about to start.
    private func wake(_ waiter: Int) {
        let continuation = progress.withLock { progress -> CheckedContinuation<Void, Never>? in
            if let continuation = progress.waiters.removeValue(forKey: waiter) { return continuation }
            progress.woken.insert(waiter)
            return nil
        }
        continuation?.resume()
    }

    /// The events after `cursor` if there are any, or the end; nil: wait for more.
    func eventsNow(after cursor: Int, ids: Bool) -> (bytes: [UInt8], cursor: Int, ended: Bool)? {
        progress.withLock { progress in
            let count = progress.log.eventCount
            let ended = progress.state != .streaming
            guard count > cursor || ended else { return nil }
            let (bytes, next) = progress.log.events(after: cursor, ids: ids, limit: Self.maxPieceBytes)
            return (bytes, next, ended && next >= count)
        }
    }

    /// The most a reader takes from the log for one write (more when one event is larger):
    /// what a reader holds beyond the log, however far behind it is.
    static let maxPieceBytes = 64 * 1024

    /// What the registry needs to know of a finished reply's footprint.
    var logBytes: Int { progress.withLock { $0.log.byteCount } }

    private static func takeWaiters(_ progress: inout Progress) -> [CheckedContinuation<Void, Never>] {
        guard !progress.waiters.isEmpty else { return [] }
        defer { progress.waiters = [:] }
        return Array(progress.waiters.values)
    }
}
