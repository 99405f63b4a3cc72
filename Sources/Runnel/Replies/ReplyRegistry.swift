import Foundation
import Synchronization

/// The replies a client may read or stop by id: every reply in flight, and finished ones
/// for ``retention`` (README "Replies"), oldest forgotten first once their logs together
/// pass ``maxRetainedBytes``. Both bounds are checked in O(1) amortised: finished replies
/// wait in a queue in the order they ended.
final class ReplyRegistry: Sendable {
    /// How long a finished reply stays readable (a reload, a late second tab).
    static let retention: Duration = .seconds(300)
    /// The logs of finished replies kept at most, together.
    static let maxRetainedBytes = 64 << 20

    private struct State {
        var replies: [String: Reply] = [:]
        var finished: [(id: String, at: ContinuousClock.Instant, bytes: Int)] = []
        var finishedHead = 0
        var retainedBytes = 0
    }

    private let state = Mutex(State())
    /// This server's `--instance` name, which every id it makes starts with (README
    /// "Several instances"); nil: ids are the random part alone.
    let instance: String?

    init(instance: String? = nil) {
        self.instance = instance
    }

    /// An id for a new reply of this server.
    func makeID() -> String {
        ReplyID.make(instance: instance)
    }

    func add(_ reply: Reply) {
        state.withLock { $0.replies[reply.id] = reply }
    }

    func reply(_ id: String) -> Reply? {
        state.withLock { state in
            Self.prune(&state, now: .now)
            return state.replies[id]
        }
    }

    /// Called once by each reply as it ends: from now on it only waits to be forgotten.
    func retire(_ reply: Reply) {
        let bytes = reply.logBytes
        state.withLock { state in
            state.finished.append((reply.id, .now, bytes))
            state.retainedBytes += bytes
            Self.prune(&state, now: .now)
        }
    }

    /// The replies still streaming (for shutdown).
    var inFlight: [Reply] {
        state.withLock { $0.replies.values.filter { $0.state == .streaming } }
    }

    var count: Int { state.withLock { $0.replies.count } }

    /// Every reply still known (streaming, or finished and retained), newest first.
    var recent: [Reply] {
        state.withLock { state in
            Self.prune(&state, now: .now)
            return state.replies.values.sorted { $0.startedAt > $1.startedAt }
        }
    }

    private static func prune(_ state: inout State, now: ContinuousClock.Instant) {
        while state.finishedHead < state.finished.count {
            let oldest = state.finished[state.finishedHead]
            guard now - oldest.at > retention || state.retainedBytes > maxRetainedBytes else { break }
            state.replies.removeValue(forKey: oldest.id)
            state.retainedBytes -= oldest.bytes
            state.finishedHead += 1
        }
        if state.finishedHead > 1024 && state.finishedHead * 2 > state.finished.count {
            state.finished.removeFirst(state.finishedHead)
            state.finishedHead = 0
        }
    }
}
