import Sockets

/// Lets one task at a time through a critical section that suspends, in arrival order:
/// a stream's producer and its heartbeat must never interleave their bytes.
final class AsyncSerialLock: Sendable {
    private let state = Lock<(locked: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func withLock<T>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        let acquired = state.withLock { state -> Bool in
            if state.locked { return false }
            state.locked = true
            return true
        }
        if acquired { return }
        await withCheckedContinuation { continuation in
            let acquiredNow = state.withLock { state -> Bool in
                if !state.locked { state.locked = true; return true }
                state.waiters.append(continuation)
                return false
            }
            if acquiredNow { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty { state.locked = false; return nil }
            return state.waiters.removeFirst()  // the lock passes straight to the next waiter
        }
        next?.resume()
    }
}
