import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// Registration of sockets and the waits for their readiness.
extension EventLoop {
    private enum Wake { case now, fail(SocketError), cancelled, wait, waitAndWakeLoop }

    /// Starts watching `socket`. Its first wait returns at once if data already arrived.
    public func register(_ socket: Socket) throws(SocketError) {
        let generation = state.withLock { state in
            state.nextGeneration &+= 1
            state.registrations[socket.fd] = Registration(generation: state.nextGeneration)
            return state.nextGeneration
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.u64 = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: socket.fd))
        if epoll_ctl(epollFD, EPOLL_CTL_ADD, socket.fd, &event) != 0 {
            let error = SocketError.fromErrno("epoll_ctl")
            _ = state.withLock { $0.registrations.removeValue(forKey: socket.fd) }
            throw error
        }
    }

    /// Stops watching `socket` (call before closing it); pending waits fail with `.closed`.
    public func deregister(_ socket: Socket) {
        // The descriptors stay open until deinit, so this is safe after the loop exited.
        epoll_ctl(epollFD, EPOLL_CTL_DEL, socket.fd, nil)
        let waiters = state.withLock { state -> [Waiter] in
            guard let registration = state.registrations.removeValue(forKey: socket.fd) else { return [] }
            return [registration.reader, registration.writer].compactMap { $0 }
        }
        for waiter in waiters { waiter.continuation.resume(throwing: SocketError.closed) }
        if state.withLock({ $0.stopping && $0.registrations.isEmpty }) { wakeThread() }
    }

    /// Suspends until `socket` may have data (or the peer hung up), or throws `.timedOut`
    /// at `deadline`.
    public func waitReadable(_ socket: Socket, deadline: ContinuousClock.Instant? = nil) async throws {
        try await wait(socket, deadline: deadline, forWriting: false)
    }

    /// Suspends until `socket` may take more bytes, or throws `.timedOut` at `deadline`
    /// (a client that stopped reading). Task cancellation ends the wait with
    /// `CancellationError`, so a cancelled producer never hangs on a full socket.
    public func waitWritable(_ socket: Socket, deadline: ContinuousClock.Instant? = nil) async throws {
        try await withTaskCancellationHandler {
            try await wait(socket, deadline: deadline, forWriting: true)
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                let waiter = state.registrations[socket.fd]?.writer
                state.registrations[socket.fd]?.writer = nil
                return waiter
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Ends the pending read wait on `socket` with `error`, or the next one if none is
    /// pending yet (used to close idle connections at shutdown without a race).
    public func interruptRead(_ socket: Socket, with error: SocketError) {
        let waiter = state.withLock { state -> Waiter? in
            let waiter = state.registrations[socket.fd]?.reader
            state.registrations[socket.fd]?.reader = nil
            if waiter == nil { state.registrations[socket.fd]?.interrupted = error }
            return waiter
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Calls `handler` once when the peer hangs up (at once if it already has); `nil` clears it.
    public func onHangUp(_ socket: Socket, _ handler: (@Sendable () -> Void)?) {
        let callNow = state.withLock { state -> Bool in
            guard var registration = state.registrations[socket.fd] else { return false }
            if registration.hungUp, handler != nil { return true }
            registration.onHangUp = handler
            state.registrations[socket.fd] = registration
            return false
        }
        if callNow { handler?() }
    }

    /// Whether the peer has closed its side or the connection failed.
    public func hasHungUp(_ socket: Socket) -> Bool {
        state.withLock { $0.registrations[socket.fd]?.hungUp ?? true }
    }

    private func wait(_ socket: Socket, deadline: ContinuousClock.Instant?, forWriting: Bool) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let wake = state.withLock { state -> Wake in
                guard var registration = state.registrations[socket.fd] else { return .fail(.closed) }
                let waiter = Waiter(continuation: continuation, token: state.makeWaitToken())
                if forWriting {
                    if registration.writeReady {
                        state.registrations[socket.fd]?.writeReady = false
                        return .now
                    }
                    // Cancelled before the wait was registered: the handler found nothing to end.
                    if Task.isCancelled { return .cancelled }
                    registration.writer = waiter
                } else {
                    if let error = registration.interrupted { return .fail(error) }
                    if registration.readReady || registration.hungUp {
                        state.registrations[socket.fd]?.readReady = false
                        return .now
                    }
                    registration.reader = waiter
                }
                state.registrations[socket.fd] = registration
                guard let deadline else { return .wait }
                state.addDeadline(deadline, for: DeadlineWait(fd: socket.fd, token: waiter.token, purpose: forWriting ? .write : .read))
                // A loop asleep past this deadline (or with no timeout) must look again.
                if state.polling, state.pollingUntil == nil || deadline < state.pollingUntil! {
                    state.polling = false
                    return .waitAndWakeLoop
                }
                return .wait
            }
            switch wake {
            case .now: continuation.resume()
            case .fail(let error): continuation.resume(throwing: error)
            case .cancelled: continuation.resume(throwing: CancellationError())
            case .wait: break
            case .waitAndWakeLoop: wakeThread()
            }
        }
    }
}
