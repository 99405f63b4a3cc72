/// Deadlines of the loop's waits, kept in a min-heap so that a timeout costs O(log n)
/// however many connections the loop holds, instead of a scan of every registration.
///
/// A wait that ends another way (readiness, cancellation, deregistration) leaves its
/// entry behind: an entry counts only while the registration's reader or writer still
/// carries the entry's token. Ended entries are dropped when they reach the top, and all
/// at once when they outnumber the possible live ones, which keeps the heap within a
/// constant factor of the connections (amortised O(1) per wait).
extension EventLoop {
    /// The wait a deadline belongs to.
    struct DeadlineWait {
        let fd: Int32
        let token: UInt64
        let forWriting: Bool
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
        if deadlines.count > 2 * registrations.count + Self.deadlineSlack {
            let registrations = registrations
            deadlines.removeAll { !Self.isPending($0.payload, in: registrations) }
        }
    }

    /// Drops ended waits from the top, so the loop sleeps until a deadline that matters.
    mutating func dropEndedDeadlines() {
        while let first = deadlines.first, !isPending(first.payload) { _ = deadlines.popFirst() }
    }

    /// Ends every wait whose deadline has passed with `.timedOut`.
    mutating func expireDeadlines(now: ContinuousClock.Instant, resumes: inout [(EventLoop.Waiter, SocketError?)]) {
        while let first = deadlines.first, first.deadline <= now {
            _ = deadlines.popFirst()
            if let waiter = takeWaiter(first.payload) { resumes.append((waiter, .timedOut)) }
        }
    }

    /// The waiter `wait` names, removed from its registration; nil if that wait ended.
    private mutating func takeWaiter(_ wait: EventLoop.DeadlineWait) -> EventLoop.Waiter? {
        guard isPending(wait) else { return nil }
        if wait.forWriting {
            defer { registrations[wait.fd]?.writer = nil }
            return registrations[wait.fd]?.writer
        }
        defer { registrations[wait.fd]?.reader = nil }
        return registrations[wait.fd]?.reader
    }

    /// Whether the wait `wait` names is still suspended.
    private func isPending(_ wait: EventLoop.DeadlineWait) -> Bool {
        Self.isPending(wait, in: registrations)
    }

    private static func isPending(_ wait: EventLoop.DeadlineWait, in registrations: [Int32: EventLoop.Registration]) -> Bool {
        guard let registration = registrations[wait.fd] else { return false }
        let waiter = wait.forWriting ? registration.writer : registration.reader
        return waiter?.token == wait.token
    }
}
