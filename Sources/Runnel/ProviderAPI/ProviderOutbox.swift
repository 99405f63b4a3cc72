import HTTPServer
import Sockets

/// The bytes a provider stream's pump has encoded and its writer has not sent yet.
///
/// The pump (a task pulling the backend) puts, the writer (the response's producer)
/// takes everything there is at once: what piles up while a write is in progress goes
/// out in the next one, as a reply's log does for `/api/message`. An instant backend
/// (`echo`) so costs a few writes per stream rather than one per event.
///
/// Bounded: the pump never waits for the writer (a backend's events cannot be held
/// back), so what a slow client has not taken is capped at `maxPendingBytes`
/// (`--max-reply-bytes`, README "SDKs"); past it `put` refuses and the stream ends.
final class ProviderOutbox: Sendable {
    let maxPendingBytes: Int

    init(maxPendingBytes: Int) { self.maxPendingBytes = maxPendingBytes }

    private struct State {
        var bytes: [UInt8] = []
        var done = false
        /// The writer closes the connection instead of ending the body (the mock's `drop`).
        var drops = false
        var waiter: CheckedContinuation<Void, Never>?
        /// The taker's deadline passed before it began to wait: its next wait returns at once.
        var woken = false
    }

    private let state = Lock(State())

    /// Adds `bytes`; `done`: nothing follows them; `drops`: nothing follows, and the
    /// connection closes without the body's end (README "Mock scenarios"). False, and
    /// nothing added, when that would leave more than ``maxPendingBytes`` untaken; the
    /// closing bytes (`done` or `drops`) are always taken.
    @discardableResult
    func put(_ bytes: [UInt8], done: Bool = false, drops: Bool = false) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard done || drops || state.bytes.count + bytes.count <= maxPendingBytes else { return (false, nil) }
            state.bytes += bytes
            state.done = state.done || done || drops
            state.drops = state.drops || drops
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume()
        return accepted
    }

    /// Everything put so far (waiting for something unless done) and whether that is all.
    /// Returns at once, possibly with nothing, when the calling task is cancelled, and
    /// with nothing at `deadline` (a timer on `writer`'s event loop: no task).
    func take(until deadline: ContinuousClock.Instant? = nil, on writer: (any ResponseBodyWriter)? = nil) async -> (bytes: [UInt8], done: Bool) {
        if let ready = takeNow() { return ready }
        let timer = deadline.flatMap { deadline in writer?.schedule(at: deadline) { [self] in wake() } }
        defer {
            timer?.cancel()
            state.withLock { $0.woken = false }
        }
        while true {
            if let ready = takeNow() { return ready }
            if Task.isCancelled || state.withLock({ $0.woken }) { return ([], false) }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state -> Bool in
                        if !state.bytes.isEmpty || state.done || state.woken || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                wake()
            }
        }
    }

    /// Ends the taker's wait, or the one it is about to begin.
    private func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.woken = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Whether the writer is waiting in `take` (so a test can put while it waits).
    var hasWaitingTaker: Bool { state.withLock { $0.waiter != nil } }

    /// Whether the stream ends by dropping its connection; read once `take` said done.
    var dropsConnection: Bool { state.withLock { $0.drops } }

    private func takeNow() -> (bytes: [UInt8], done: Bool)? {
        state.withLock { state in
            guard !state.bytes.isEmpty || state.done else { return nil }
            defer { state.bytes = [] }
            return (state.bytes, state.done)
        }
    }
}
