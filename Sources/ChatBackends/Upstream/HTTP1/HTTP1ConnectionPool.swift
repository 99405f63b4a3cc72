import Sockets

/// Keep-alive connections to upstreams, kept between calls per (host, port), so a
/// second message to the same model server opens no new connection.
///
/// A connection comes back only after a response read cleanly to its end; it then
/// waits here until taken again, until it has been idle for `idleLifetime`, or until
/// the upstream closes it (the loop reports the hang-up and it is dropped at once).
final class HTTP1ConnectionPool: Sendable {
    /// The pool every call uses.
    static let shared = HTTP1ConnectionPool()
    /// An idle connection is closed after this long (servers close theirs after 5 s to
    /// a few minutes; a closed one is noticed anyway and never used).
    static let idleLifetime: Duration = .seconds(30)
    /// Idle connections kept per upstream; beyond this, a returning one is closed.
    static let maxIdlePerUpstream = 256

    /// Where a connection goes: the URL's host as written, and the port.
    struct Upstream: Hashable, Sendable {
        var host: String
        var port: Int
    }

    private struct Idle {
        let connection: HTTP1Connection
        let expires: ContinuousClock.Instant
    }

    private struct State {
        var idle: [Upstream: [Idle]] = [:]
        var reaperRunning = false
    }

    private let state = Locked(State())

    /// An idle connection to `upstream` that is still open, preferring one on `loop`
    /// (most recently used first); `nil` when there is none.
    func take(_ upstream: Upstream, preferring loop: EventLoop) -> HTTP1Connection? {
        while true {
            let now = ContinuousClock.now
            let (found, expired) = state.withLock { state -> (HTTP1Connection?, [HTTP1Connection]) in
                guard var list = state.idle[upstream] else { return (nil, []) }
                defer { state.idle[upstream] = list.isEmpty ? nil : list }
                let expired = list.filter { $0.expires <= now }.map(\.connection)
                list.removeAll { $0.expires <= now }
                guard let index = list.lastIndex(where: { $0.connection.loop === loop }) ?? list.indices.last else { return (nil, expired) }
                return (list.remove(at: index).connection, expired)
            }
            for connection in expired { connection.close() }
            guard let found else { return nil }
            found.loop.onHangUp(found.socket, nil)
            if found.isIdleAndOpen() { return found }
            found.close()
        }
    }

    /// Keeps `connection` (whose last response was read to its end) for the next call.
    func putBack(_ connection: HTTP1Connection) {
        connection.loop.onHangUp(connection.socket) { [weak self] in self?.drop(connection) }
        let expires = ContinuousClock.now + Self.idleLifetime
        let (kept, startReaper) = state.withLock { state -> (Bool, Bool) in
            guard state.idle[connection.upstream, default: []].count < Self.maxIdlePerUpstream else { return (false, false) }
            state.idle[connection.upstream, default: []].append(Idle(connection: connection, expires: expires))
            defer { state.reaperRunning = true }
            return (true, !state.reaperRunning)
        }
        guard kept else { return connection.close() }
        if startReaper { Task { await self.reap() } }
    }

    /// Idle connections to `upstream` right now.
    func idleCount(_ upstream: Upstream) -> Int {
        state.withLock { $0.idle[upstream]?.count ?? 0 }
    }

    /// The upstream closed an idle connection.
    private func drop(_ connection: HTTP1Connection) {
        let removed = state.withLock { state -> Bool in
            guard let index = state.idle[connection.upstream]?.firstIndex(where: { $0.connection === connection }) else { return false }
            state.idle[connection.upstream]?.remove(at: index)
            if state.idle[connection.upstream]?.isEmpty == true { state.idle[connection.upstream] = nil }
            return true
        }
        if removed { connection.close() }
    }

    /// Closes expired connections every quarter lifetime while any are idle.
    private func reap() async {
        while true {
            do {
                try await Task.sleep(for: Self.idleLifetime / 4)
            } catch {
                state.withLock { $0.reaperRunning = false }
                return
            }
            let now = ContinuousClock.now
            let (expired, done) = state.withLock { state -> ([HTTP1Connection], Bool) in
                var expired: [HTTP1Connection] = []
                for (upstream, list) in state.idle {
                    expired += list.filter { $0.expires <= now }.map(\.connection)
                    let kept = list.filter { $0.expires > now }
                    state.idle[upstream] = kept.isEmpty ? nil : kept
                }
                if state.idle.isEmpty { state.reaperRunning = false }
                return (expired, state.idle.isEmpty)
            }
            for connection in expired { connection.close() }
            if done { return }
        }
    }
}
