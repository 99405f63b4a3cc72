import Sockets
import Synchronization

/// A local backend's reply as a script of paced steps, played on the consumer's own task
/// (`AsyncThrowingStream(unfolding:)`): no task of its own and no hop between threads per
/// event, which is what an instant `echo` under load spends its time on otherwise.
/// Cancelling the consumer ends the pause in progress and the stream with it. Pauses
/// are kept on an absolute schedule (each step `afterMs` after the previous one was due),
/// so timer overshoot never accumulates into drift.
enum ScriptedStream {
    enum Step: Sendable {
        /// Waits `afterMs`, then yields `event` (an empty delta is skipped).
        case event(ChatEvent, afterMs: Int = 0)
        /// Waits `afterMs`, then fails with `error`.
        case fail(ChatBackendError, afterMs: Int = 0)
        /// Never yields again; only cancellation ends it.
        case hang
    }

    static func play(_ steps: [Step]) -> ChatEvents {
        play(count: steps.count) { steps[$0] }
    }

    /// Plays `count` steps made one at a time by `step` (from 0): a long script need not
    /// exist as an array of steps for the whole life of its stream (an echo of 30 words
    /// held ~1.4 KB of them per stream).
    static func play(count: Int, _ step: @escaping @Sendable (Int) -> Step) -> ChatEvents {
        let cursor = Cursor(count: count, step: step)
        return ChatEvents(AsyncThrowingStream(unfolding: {
            do {
                while let step = cursor.next() {
                    switch step {
                    case .event(let event, let afterMs):
                        try await cursor.pause(afterMs)
                        if event.isEmptyText { continue }
                        return event
                    case .fail(let error, let afterMs):
                        try await cursor.pause(afterMs)
                        throw error
                    case .hang:
                        while true { try await Task.sleep(for: .seconds(3600)) }
                    }
                }
                return nil
            } catch is CancellationError {
                return nil
            }
        }))
    }

    private final class Cursor: Sendable {
        private let count: Int
        private let step: @Sendable (Int) -> Step
        private let index = Atomic<Int>(0)
        /// When the previous step was due; the schedule starts at the first step.
        private let due = Mutex<ContinuousClock.Instant?>(nil)

        init(count: Int, step: @escaping @Sendable (Int) -> Step) {
            self.count = count
            self.step = step
        }

        func next() -> Step? {
            let position = index.add(1, ordering: .relaxed).oldValue
            return position < count ? step(position) : nil
        }

        func pause(_ milliseconds: Int) async throws {
            let target = due.withLock { due -> ContinuousClock.Instant in
                let target = (due ?? .now) + .milliseconds(milliseconds)
                due = target
                return target
            }
            if milliseconds > 0 {
                // On an event loop (a reply's backend task runs on its connection's), its
                // timer heap paces the script; elsewhere (tests, other programs) Task.sleep.
                if let loop = EventLoop.current {
                    try await loop.sleep(until: target)
                } else {
                    try await Task.sleep(until: target, tolerance: .zero, clock: .continuous)
                }
            }
            try Task.checkCancellation()
        }
    }
}
