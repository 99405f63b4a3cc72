import ChatBackends
import Synchronization

/// Hands a backend's events to the writer in batches of whatever is ready: events that
/// arrived together (an instant `echo`, a burst from the network) leave in one write,
/// while an event that arrives alone is still written the moment it comes. Nothing
/// ever waits for company, so per-chunk latency is unchanged; only syscalls are saved.
final class ReadyEvents: Sendable {
    private struct State {
        var events: [ChatEvent] = []
        var end: Result<Void, any Error>?
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Pulls every event of `stream` into the batches (run it as a child task).
    func fill(from stream: AsyncThrowingStream<ChatEvent, any Error>) async {
        do {
            for try await event in stream { push { $0.events.append(event) } }
            push { $0.end = .success(()) }
        } catch {
            push { $0.end = .failure(error) }
        }
    }

    /// The events ready now (waiting for at least one), and the end once reached:
    /// `nil` success, or the backend's error.
    func next() async -> (events: [ChatEvent], end: Result<Void, any Error>?) {
        while true {
            let taken = state.withLock { state -> ([ChatEvent], Result<Void, any Error>?)? in
                guard !state.events.isEmpty || state.end != nil else { return nil }
                defer { state.events = [] }
                return (state.events, state.end)
            }
            if let taken { return taken }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if !state.events.isEmpty || state.end != nil { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    private func push(_ change: (inout State) -> Void) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            change(&state)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
