/// Deadlines of the loop's waits and timers, kept in a min-heap so that a timeout costs
/// O(log n) however many connections the loop holds, instead of a scan of every
/// registration.
///
/// A wait that ends another way (readiness, cancellation, deregistration) or a cancelled
/// timer leaves its entry behind: an entry counts only while the registration's reader or
/// writer still carries the entry's token (or the timer is still scheduled). Ended
/// entries are dropped when they reach the top, and all at once when they outnumber the
/// possible live ones, which keeps the heap within a constant factor of the connections
/// and timers (amortised O(1) per wait).
extension EventLoop {
    /// The wait a deadline belongs to.
    struct DeadlineWait {
        enum Purpose { case read, write, timer }
        /// The socket waited on (unused for a timer).
        let fd: Int32
        let token: UInt64
        let purpose: Purpose
    }

    /// A scheduled call, cancellable until it runs.
    public struct Timer: Sendable {
        let token: UInt64
        let loop: EventLoop

        /// Cancels the call if it has not run yet (it never runs after this returns).
        public func cancel() {
            _ = loop.state.withLock { $0.timers.removeValue(forKey: token) }
        }
    }

    /// Calls `action` on this loop's thread at `deadline` (or soon after), with no task
    /// and no thread of its own: a heap entry until then. Keep `action` short; it runs
    /// between the loop's other work.
    public func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> Timer {
        let (token, wake) = state.withLock { state -> (UInt64, Bool) in
            let token = state.makeWaitToken()
            state.timers[token] = action
            state.addDeadline(deadline, for: DeadlineWait(fd: -1, token: token, purpose: .timer))
            guard state.polling, state.pollingUntil == nil || deadline < state.pollingUntil! else { return (token, false) }
            state.polling = false
            return (token, true)
        }
        if wake { wakeThread() }
        return Timer(token: token, loop: self)
    }
}

extension EventLoop.State {
    /// Heap entries allowed beyond the two live waits each registration can have, before
    /// the ended ones are swept out.
    private static let deadlineSlack = 64

    /// A token for a new wait, unique on this loop.
    mutating func makeWaitToken() -> UInt64 {
        nextWaitToken &+= 1
        return nextWaitToken
    }

    /// Files the deadline of a wait already stored in its registration.
    mutating func addDeadline(_ deadline: ContinuousClock.Instant, for wait: EventLoop.DeadlineWait) {
        deadlines.insert(deadline, wait)
        if deadlines.count > 2 * registrations.count + timers.count + Self.deadlineSlack {
            let (registrations, timers) = (registrations, timers)
            deadlines.removeAll { !Self.isPending($0.payload, in: registrations, timers: timers) }
        }
    }

    /// Drops ended waits from the top, so the loop sleeps until a deadline that matters.
    mutating func dropEndedDeadlines() {
        while let first = deadlines.first, !isPending(first.payload) { _ = deadlines.popFirst() }
    }

    /// Ends every wait whose deadline has passed with `.timedOut`, and takes every timer
    /// that is due (the caller runs them once the lock is released).
    mutating func expireDeadlines(
        now: ContinuousClock.Instant, resumes: inout [(EventLoop.Waiter, SocketError?)], fired: inout [@Sendable () -> Void]
    ) {
        while let first = deadlines.first, first.deadline <= now {
            _ = deadlines.popFirst()
            if first.payload.purpose == .timer {
                if let action = timers.removeValue(forKey: first.payload.token) { fired.append(action) }
            } else if let waiter = takeWaiter(first.payload) {
                resumes.append((waiter, .timedOut))
            }
        }
    }

    /// The waiter `wait` names, removed from its registration; nil if that wait ended.
    private mutating func takeWaiter(_ wait: EventLoop.DeadlineWait) -> EventLoop.Waiter? {
        guard isPending(wait) else { return nil }
        if wait.purpose == .write {
            defer { registrations[wait.fd]?.writer = nil }
            return registrations[wait.fd]?.writer
        }
        defer { registrations[wait.fd]?.reader = nil }
        return registrations[wait.fd]?.reader
    }

    /// Whether the wait `wait` names is still suspended (or its timer still scheduled).
    private func isPending(_ wait: EventLoop.DeadlineWait) -> Bool {
        Self.isPending(wait, in: registrations, timers: timers)
    }

    private static func isPending(
        _ wait: EventLoop.DeadlineWait, in registrations: [Int32: EventLoop.Registration], timers: [UInt64: @Sendable () -> Void]
    ) -> Bool {
        if wait.purpose == .timer { return timers[wait.token] != nil }
        guard let registration = registrations[wait.fd] else { return false }
        let waiter = wait.purpose == .write ? registration.writer : registration.reader
        return waiter?.token == wait.token
    }
}

extension EventLoop {
    /// Suspends until `deadline` on this loop's timer heap: no Dispatch timer and no hop
    /// through another thread, which is what a task pacing its output (a scripted reply
    /// sending a word a second) would otherwise pay per step. Cancellation ends the wait
    /// with `CancellationError`.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let wait = TimedWait()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                guard wait.start(continuation) else { return continuation.resume(throwing: CancellationError()) }
                let timer = schedule(at: deadline) { wait.finish(nil) }
                wait.setTimer(timer)
            }
        } onCancel: {
            wait.finish(CancellationError())
        }
    }
}

/// One `sleep(until:)`: resumed once, by its timer or by cancellation, whichever is first.
private final class TimedWait: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var timer: EventLoop.Timer?
        var finished = false
    }

    private let state = Lock(State())

    /// False when cancellation came first.
    func start(_ continuation: CheckedContinuation<Void, any Error>) -> Bool {
        state.withLock { state in
            guard !state.finished else { return false }
            state.continuation = continuation
            return true
        }
    }

    func setTimer(_ timer: EventLoop.Timer) {
        let cancelNow = state.withLock { state -> Bool in
            state.timer = timer
            return state.finished
        }
        if cancelNow { timer.cancel() }
    }

    func finish(_ error: (any Error)?) {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<Void, any Error>?, EventLoop.Timer?) in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            defer { state.continuation = nil }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
    }
}
