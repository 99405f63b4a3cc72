import CSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Readiness notifications for non-blocking sockets, from one edge-triggered epoll set
/// whose blocking `epoll_wait` runs on a thread of its own, never on Swift's cooperative
/// pool. Each socket is registered once for reading, writing and hang-up; an event that
/// arrives while nobody waits is latched, so the race between `EAGAIN` and the wait
/// cannot lose a wake-up, and no `EPOLL_CTL_MOD` is ever needed (the trap behind
/// FlyingFox #186: a busy loop when idle).
public final class Poller: Sendable {
    private let epollFD: Int32
    private let wakeFD: Int32
    private let state = Mutex(State())
    /// How often pending deadlines are checked: the resolution of every timeout.
    static let deadlineResolutionMs: Int32 = 100

    private struct Waiter {
        let continuation: CheckedContinuation<Void, any Error>
        let deadline: ContinuousClock.Instant?
    }

    private struct Registration {
        let generation: UInt32
        var readReady = false
        var writeReady = false
        var hungUp = false
        var interrupted: SocketError?
        var reader: Waiter?
        var writer: Waiter?
        var onHangUp: (@Sendable () -> Void)?
    }

    private struct State {
        var registrations: [Int32: Registration] = [:]
        var nextGeneration: UInt32 = 0
        var stopped = false
        /// Read waits with a deadline, counted on adding and recounted at each check
        /// (so it may overstate between checks, which costs one idle wake at most).
        var deadlineWaiters = 0
        /// The thread is in an `epoll_wait` without a timeout: a new deadline must wake it.
        var sleepingIndefinitely = false
    }

    private enum Wake { case now, fail(SocketError), wait, waitAndWakePoller }

    public init() throws(SocketError) {
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw .fromErrno("epoll_create1") }
        let wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else { Glibc.close(epollFD); throw .fromErrno("eventfd") }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = UInt64.max
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        startThread()
    }

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
        epoll_ctl(epollFD, EPOLL_CTL_DEL, socket.fd, nil)
        let waiters = state.withLock { state -> [Waiter] in
            guard let registration = state.registrations.removeValue(forKey: socket.fd) else { return [] }
            return [registration.reader, registration.writer].compactMap { $0 }
        }
        for waiter in waiters { waiter.continuation.resume(throwing: SocketError.closed) }
    }

    /// Suspends until `socket` may have data (or the peer hung up), or throws `.timedOut`
    /// at `deadline`.
    public func waitReadable(_ socket: Socket, deadline: ContinuousClock.Instant? = nil) async throws {
        try await wait(socket, deadline: deadline, forWriting: false)
    }

    /// Suspends until `socket` may take more bytes. Task cancellation ends the wait with
    /// `CancellationError`, so a cancelled producer never hangs on a full socket.
    public func waitWritable(_ socket: Socket) async throws {
        try await withTaskCancellationHandler {
            try await wait(socket, deadline: nil, forWriting: true)
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

    /// Stops the thread; registered sockets are left to their owners.
    public func stop() {
        state.withLock { $0.stopped = true }
        wakeThread()
    }

    private func wakeThread() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func wait(_ socket: Socket, deadline: ContinuousClock.Instant?, forWriting: Bool) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let wake = state.withLock { state -> Wake in
                guard var registration = state.registrations[socket.fd] else { return .fail(.closed) }
                if forWriting {
                    if registration.writeReady { registration.writeReady = false; state.registrations[socket.fd] = registration; return .now }
                    registration.writer = Waiter(continuation: continuation, deadline: deadline)
                } else {
                    if let error = registration.interrupted { return .fail(error) }
                    if registration.readReady || registration.hungUp {
                        registration.readReady = false
                        state.registrations[socket.fd] = registration
                        return .now
                    }
                    registration.reader = Waiter(continuation: continuation, deadline: deadline)
                    if deadline != nil {
                        state.deadlineWaiters += 1
                        if state.sleepingIndefinitely {
                            state.sleepingIndefinitely = false
                            state.registrations[socket.fd] = registration
                            return .waitAndWakePoller
                        }
                    }
                }
                state.registrations[socket.fd] = registration
                return .wait
            }
            switch wake {
            case .now: continuation.resume()
            case .fail(let error): continuation.resume(throwing: error)
            case .wait: break
            case .waitAndWakePoller: wakeThread()
            }
        }
    }

    private func startThread() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        pthread_create(&thread, nil, { context in
            let poller = Unmanaged<Poller>.fromOpaque(context!).takeRetainedValue()
            poller.runLoop()
            return nil
        }, box.toOpaque())
        pthread_detach(thread)
    }

    private func runLoop() {
        let capacity = 512
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer {
            events.deallocate()
            Glibc.close(epollFD)
            Glibc.close(wakeFD)
        }
        var nextDeadlineCheck = ContinuousClock.now
        while true {
            let timeout = state.withLock { state in
                state.sleepingIndefinitely = state.deadlineWaiters == 0
                return state.sleepingIndefinitely ? -1 : Self.deadlineResolutionMs
            }
            let count = epoll_wait(epollFD, events, Int32(capacity), timeout)
            if count < 0 && errno != EINTR { return }
            var resumes: [(Waiter, SocketError?)] = []
            var hangUps: [@Sendable () -> Void] = []
            let now = ContinuousClock.now
            let stopped = state.withLock { state -> Bool in
                for index in 0..<max(0, Int(count)) {
                    let event = events[index]
                    if event.data.u64 == UInt64.max {
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, 8)
                        continue
                    }
                    Self.apply(event, to: &state, resumes: &resumes, hangUps: &hangUps)
                }
                if now >= nextDeadlineCheck {
                    nextDeadlineCheck = now + .milliseconds(Int(Self.deadlineResolutionMs))
                    Self.expireDeadlines(in: &state, now: now, resumes: &resumes)
                }
                return state.stopped
            }
            for (waiter, error) in resumes {
                if let error { waiter.continuation.resume(throwing: error) } else { waiter.continuation.resume() }
            }
            for hangUp in hangUps { hangUp() }
            if stopped { return }
        }
    }

    private static func apply(
        _ event: epoll_event, to state: inout State,
        resumes: inout [(Waiter, SocketError?)], hangUps: inout [@Sendable () -> Void]
    ) {
        let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: event.data.u64))
        let generation = UInt32(truncatingIfNeeded: event.data.u64 >> 32)
        // A stale event for a closed socket whose number was reused carries an old generation.
        guard var registration = state.registrations[fd], registration.generation == generation else { return }
        let flags = event.events
        let failed = flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0
        if flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 || failed {
            if let reader = registration.reader { resumes.append((reader, nil)); registration.reader = nil } else { registration.readReady = true }
        }
        if flags & EPOLLOUT.rawValue != 0 || failed {
            if let writer = registration.writer { resumes.append((writer, nil)); registration.writer = nil } else { registration.writeReady = true }
        }
        if flags & EPOLLRDHUP.rawValue != 0 || failed {
            registration.hungUp = true
            if let handler = registration.onHangUp { hangUps.append(handler); registration.onHangUp = nil }
        }
        state.registrations[fd] = registration
    }

    private static func expireDeadlines(in state: inout State, now: ContinuousClock.Instant, resumes: inout [(Waiter, SocketError?)]) {
        var remaining = 0
        for (fd, registration) in state.registrations {
            guard let reader = registration.reader, let deadline = reader.deadline else { continue }
            if deadline <= now {
                resumes.append((reader, .timedOut))
                state.registrations[fd]?.reader = nil
            } else {
                remaining += 1
            }
        }
        state.deadlineWaiters = remaining
    }
}
