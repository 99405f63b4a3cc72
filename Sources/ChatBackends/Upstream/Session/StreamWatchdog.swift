import Dispatch
import Foundation

/// Fails an upstream call that goes quiet for too long at any stage.
///
/// URLSession on Linux has only one timer, re-armed on every read or write, so it cannot
/// tell a slow connect from a model thinking. The watchdog tracks the stage instead and
/// arms a one-shot timer with that stage's limit, re-armed on every event.
///
/// `@unchecked Sendable`: the mutable state sits in a `Locked`, and the Dispatch timer's
/// `schedule`, `activate` and `cancel` are thread-safe in libdispatch; Swift's overlay
/// just does not mark the protocol `Sendable`.
final class StreamWatchdog: @unchecked Sendable {
    enum Phase: Sendable, Equatable {
        case connect, firstByte, idle
    }

    private struct State {
        var phase = Phase.connect
        var onExpiry: (@Sendable (Phase, TimeInterval) -> Void)?
        var stopped = false
    }

    private let timeouts: UpstreamTimeouts
    private let timer: any DispatchSourceTimer
    private let state = Locked(State())

    init(timeouts: UpstreamTimeouts, queue: DispatchQueue) {
        self.timeouts = timeouts
        timer = DispatchSource.makeTimerSource(queue: queue)
        // Active from the start (an unscheduled timer never fires): libdispatch traps
        // when a source is released without ever having been activated.
        timer.activate()
    }

    /// Starts timing at stage `phase`; `onExpiry` runs at most once, on `queue`.
    func start(at phase: Phase = .connect, onExpiry: @escaping @Sendable (Phase, TimeInterval) -> Void) {
        state.withLock {
            $0.phase = phase
            $0.onExpiry = onExpiry
        }
        timer.setEventHandler { [weak self] in self?.expire() }
        arm(phase)
    }

    /// Records progress: moves to `phase` (stages only move forward) and restarts its timer.
    func progress(to phase: Phase) {
        let current: Phase? = state.withLock { state in
            guard !state.stopped else { return nil }
            if Self.order(phase) > Self.order(state.phase) { state.phase = phase }
            return state.phase
        }
        if let current { arm(current) }
    }

    /// Stops timing for good (the call finished or was cancelled).
    func stop() {
        let wasRunning = state.withLock { state in
            defer { state.stopped = true; state.onExpiry = nil }
            return !state.stopped
        }
        if wasRunning { timer.cancel() }
    }

    private func arm(_ phase: Phase) {
        timer.schedule(deadline: .now() + limit(for: phase), leeway: .milliseconds(10))
    }

    private func expire() {
        let fired: (Phase, (@Sendable (Phase, TimeInterval) -> Void)?) = state.withLock { state in
            defer { state.onExpiry = nil }
            return (state.phase, state.stopped ? nil : state.onExpiry)
        }
        fired.1?(fired.0, limit(for: fired.0))
    }

    private func limit(for phase: Phase) -> TimeInterval {
        switch phase {
        case .connect: timeouts.connect
        case .firstByte: timeouts.firstByte
        case .idle: timeouts.idle
        }
    }

    private static func order(_ phase: Phase) -> Int {
        switch phase {
        case .connect: 0
        case .firstByte: 1
        case .idle: 2
        }
    }
}
