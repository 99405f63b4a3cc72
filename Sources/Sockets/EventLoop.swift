import CSystem
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread that waits on an edge-triggered epoll set and runs the tasks of the
/// connections it watches: it is their `TaskExecutor`, so a socket becoming ready
/// resumes its task on this same thread, with no hand-off to another (NIO's event loop
/// model). The blocking `epoll_wait` never runs on Swift's cooperative pool.
///
/// Each socket is registered once for reading, writing and hang-up; an event that
/// arrives while nobody waits is latched, so the race between `EAGAIN` and the wait
/// cannot lose a wake-up, and no `EPOLL_CTL_MOD` is ever needed (the trap behind
/// FlyingFox #186: a busy loop when idle). Readiness waits live in
/// `EventLoop+Readiness.swift`, their deadlines in `EventLoop+Deadlines.swift`.
public final class EventLoop: TaskExecutor, Sendable {
    let epollFD: Int32
    private let wakeFD: Int32
    let state = Mutex(State())
    /// The loop's thread (`pthread_t`), set when it starts: `withReadBuffer` lends
    /// `readBuffer` only on it.
    let loopThread = Atomic<UInt>(0)
    /// See `EventLoop+ReadBuffer.swift`; touched only on the loop's thread.
    nonisolated(unsafe) let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: EventLoop.readBufferBytes, alignment: 16)
    nonisolated(unsafe) var readBufferBusy = false

    struct Waiter {
        let continuation: CheckedContinuation<Void, any Error>
        /// Names this one wait, so a deadline entry left over from an earlier wait on the
        /// same socket (or on a reused descriptor number) cannot end it.
        let token: UInt64
    }

    struct Registration {
        let generation: UInt32
        var readReady = false
        var writeReady = false
        var hungUp = false
        var interrupted: SocketError?
        var reader: Waiter?
        var writer: Waiter?
        var onHangUp: (@Sendable () -> Void)?
    }

    struct State {
        var registrations: [Int32: Registration] = [:]
        var nextGeneration: UInt32 = 0
        /// Jobs of tasks that prefer this loop, run in order between epoll waits.
        var jobs: [UnownedJob] = []
        /// The thread is inside `epoll_wait` (until `pollingUntil`, nil: no timeout):
        /// work from elsewhere must wake it.
        var polling = false
        var pollingUntil: ContinuousClock.Instant?
        /// The deadline of every read or write wait that has one, earliest first; entries
        /// of waits that already ended stay until they reach the top (see
        /// `EventLoop+Deadlines.swift`).
        var deadlines = DeadlineHeap<DeadlineWait>()
        var nextWaitToken: UInt64 = 0
        /// Scheduled calls by token (their deadlines are in `deadlines`).
        var timers: [UInt64: @Sendable () -> Void] = [:]
        var stopping = false
        var exited = false
    }

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

    /// Runs `job` on this loop's thread, waking it if it sleeps in `epoll_wait`. After
    /// the loop has exited, jobs go to the global executor so no task is ever stranded.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        enum Action { case none, wake, elsewhere }
        let action = state.withLock { state -> Action in
            if state.exited { return .elsewhere }
            state.jobs.append(unowned)
            guard state.polling else { return .none }
            state.polling = false
            return .wake
        }
        switch action {
        case .none: break
        case .wake: wakeThread()
        case .elsewhere: globalConcurrentExecutor.enqueue(ExecutorJob(unowned))
        }
    }

    deinit {
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
        readBuffer.deallocate()
    }

    /// Stops the loop once its sockets are gone and its queued jobs have run.
    public func stop() {
        state.withLock { $0.stopping = true }
        wakeThread()
    }

    func wakeThread() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func startThread() {
        var thread = pthread_t()
        pthread_create(&thread, nil, { context in
            Unmanaged<EventLoop>.fromOpaque(context!).takeRetainedValue().runLoop()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        pthread_detach(thread)
    }

    private func runLoop() {
        loopThread.store(UInt(pthread_self()), ordering: .relaxed)
        let capacity = 512
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        let executor = asUnownedTaskExecutor()
        while true {
            let jobs = state.withLock { state -> [UnownedJob] in
                defer { state.jobs = [] }
                return state.jobs
            }
            for job in jobs { job.runSynchronously(on: executor) }

            let timeout = state.withLock { state -> Int64? in
                guard state.jobs.isEmpty else { return 0 }
                if state.stopping && state.registrations.isEmpty {
                    state.exited = true
                    return nil
                }
                state.polling = true
                state.dropEndedDeadlines()
                state.pollingUntil = state.deadlines.first?.deadline
                guard let deadline = state.pollingUntil else { return -1 }
                return Self.nanoseconds(until: deadline)
            }
            guard let timeout else { return }
            let count = csystem_epoll_wait_ns(epollFD, events, Int32(capacity), timeout)
            var resumes: [(Waiter, SocketError?)] = []
            var hangUps: [@Sendable () -> Void] = []
            var fired: [@Sendable () -> Void] = []
            let now = ContinuousClock.now
            state.withLock { state in
                state.polling = false
                for index in 0..<max(0, Int(count)) {
                    if events[index].data.u64 == UInt64.max {
                        var value: UInt64 = 0
                        _ = Glibc.read(wakeFD, &value, 8)
                    } else {
                        Self.apply(events[index], to: &state, resumes: &resumes, hangUps: &hangUps)
                    }
                }
                state.expireDeadlines(now: now, resumes: &resumes, fired: &fired)
            }
            // Resumed tasks prefer this loop: they land in `jobs` and run next turn.
            for (waiter, error) in resumes {
                if let error { waiter.continuation.resume(throwing: error) } else { waiter.continuation.resume() }
            }
            for hangUp in hangUps { hangUp() }
            for action in fired { action() }
        }
    }

    /// How long `epoll_wait` may sleep to wake at `deadline`: to the nanosecond, so a
    /// paced stream's timer is not rounded up to the next millisecond.
    private static func nanoseconds(until deadline: ContinuousClock.Instant) -> Int64 {
        let remaining = deadline - .now
        guard remaining > .zero else { return 0 }
        let (seconds, attoseconds) = remaining.components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
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
}
