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
