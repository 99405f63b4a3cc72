import Sockets
import Synchronization

/// The open connections, what each is doing, and the shutdown flag: what a graceful
/// shutdown needs to close idle connections at once and cancel streams that outlive it.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        let socket: Socket
        let loop: EventLoop
        var idle = true
        /// Cancels the streamed body in progress, if any (shutdown's grace period ended).
        var stream: StreamCancellation?
    }

    private struct State {
        var entries: [Int32: Entry] = [:]
        var shuttingDown = false
        var drainWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiterID = 0
    }

    private let state = Lock(State())
    private let shuttingDownFlag = Atomic<Bool>(false)
    let maxConnections: Int

    init(maxConnections: Int) { self.maxConnections = maxConnections }

    var isShuttingDown: Bool { shuttingDownFlag.load(ordering: .relaxed) }
    var count: Int { state.withLock { $0.entries.count } }

    /// Admits a new connection; false when full or shutting down.
    func add(_ socket: Socket, loop: EventLoop) -> Bool {
        state.withLock { state in
            guard !state.shuttingDown, state.entries.count < maxConnections else { return false }
            state.entries[socket.fd] = Entry(socket: socket, loop: loop)
            return true
        }
    }

    func remove(_ socket: Socket) {
        let waiters = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.entries.removeValue(forKey: socket.fd)
            guard state.entries.isEmpty else { return [] }
            defer { state.drainWaiters = [:] }
            return Array(state.drainWaiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// Marks the connection idle (between requests) or busy; false if it should close
    /// instead of waiting for another request, because the server is shutting down.
    func setIdle(_ socket: Socket, _ idle: Bool) -> Bool {
        state.withLock { state in
            state.entries[socket.fd]?.idle = idle
            return !(idle && state.shuttingDown)
        }
    }

    /// Records the streamed body in progress (nil: done with it), so shutdown can cancel it.
    func setStream(_ socket: Socket, _ stream: StreamCancellation?) {
        state.withLock { $0.entries[socket.fd]?.stream = stream }
    }

    /// Sets the shutdown flag and ends the read wait of every idle connection (each then
    /// closes). The sockets are touched under the lock, as in ``deregisterAll()``: a
    /// connection leaves the registry before its socket closes, so no number touched here
    /// can belong to a newer socket (an upstream connection on the same loop, say).
    func beginShutdown() {
        shuttingDownFlag.store(true, ordering: .relaxed)
        state.withLock { state in
            state.shuttingDown = true
            for entry in state.entries.values where entry.idle { entry.loop.interruptRead(entry.socket, with: .closed) }
        }
    }

    func cancelStreams() {
        let streams = state.withLock { $0.entries.values.compactMap(\.stream) }
        for stream in streams { stream.cancel() }
    }

    /// Ends every connection's waits (shutdown's last resort); see ``beginShutdown()``.
    func deregisterAll() {
        state.withLock { state in
            for entry in state.entries.values { entry.loop.deregister(entry.socket) }
        }
    }

    /// True once no connection is open; false if `timeout` passes first.
    func waitUntilEmpty(timeout: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = state.withLock { state -> Int? in
                if state.entries.isEmpty { return nil }
                state.nextWaiterID += 1
                state.drainWaiters[state.nextWaiterID] = continuation
                return state.nextWaiterID
            }
            guard let id else { return continuation.resume(returning: true) }
            Task {
                try? await Task.sleep(for: timeout)  // never cancelled: only the time matters
                let waiter = state.withLock { $0.drainWaiters.removeValue(forKey: id) }
                waiter?.resume(returning: false)
            }
        }
    }
}
