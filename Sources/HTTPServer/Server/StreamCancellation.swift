import Sockets

/// Cancels the task producing a streamed body from outside it (the peer hung up, or a
/// shutdown's grace period ended) without that body needing a task of its own.
///
/// It holds the producing task as an `UnsafeCurrentTask`, which is only valid while that
/// task runs: ``run(_:)`` sets it on entry and clears it, under the lock, before it
/// returns, and ``cancel()`` only touches it under the same lock. So a cancel either
/// reaches the live task or finds nothing, even when it comes from another thread after
/// the stream ended. A cancel that comes before ``run(_:)`` (while the response head is
/// still being written) is remembered and applied on entry.
final class StreamCancellation: Sendable {
    /// Sendable only as used here: set, cleared and cancelled under `state`'s lock.
    private struct Handle: @unchecked Sendable { let task: UnsafeCurrentTask }
    private let state = Lock<(task: Handle?, cancelled: Bool)>((nil, false))

    /// Runs `body` on the current task, cancellable by ``cancel()`` meanwhile.
    func run<T>(_ body: () async throws -> T) async rethrows -> T {
        let handle = withUnsafeCurrentTask { $0.map(Handle.init) }
        state.withLock { state in
            state.task = handle
            if state.cancelled { handle?.task.cancel() }
        }
        defer { state.withLock { $0.task = nil } }
        return try await body()
    }

    func cancel() {
        state.withLock { state in
            state.cancelled = true
            state.task?.task.cancel()
        }
    }
}
