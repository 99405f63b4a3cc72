import HTTPServer
import Sockets

/// What one client may do at once and per minute, and what the whole server streams at
/// once (README "Deploying"), each a command-line option.
public struct ClientLimitSettings: Sendable {
    /// Replies one client may have streaming at once (`--max-replies-per-client`): 429 beyond.
    public var maxRepliesPerClient = 4
    /// Requests one client may make per minute to `POST /api/*` (`--requests-per-minute`),
    /// as a token bucket holding a minute's worth: 429 beyond.
    public var requestsPerMinute = 60
    /// Replies streaming at once on the whole server (`--max-replies`): 503 beyond.
    public var maxReplies = 256
    /// Whether the limits apply: nil means on a public server only (a loopback bind
    /// serves one person); any of the options above sets it.
    public var enforced: Bool?

    public init() {}
}

/// The per-client table behind ``ClientLimitSettings``: a token bucket and a count of
/// replies in flight per client, and the server-wide count. The table is bounded: past
/// ``maxTrackedClients`` entries, idle ones (full bucket, no reply) are dropped, then the
/// least recently seen without a reply; entries with a reply are at most `maxReplies`.
final class ClientLimits: Sendable {
    /// Clients remembered at most besides those with a reply in flight.
    static let maxTrackedClients = 10_000
    /// `Retry-After` of a refusal for too many replies at once: a guess, since nobody
    /// knows when a reply will end.
    static let busyRetryAfterSeconds = 5

    /// An IPv6 client is its /64, not its one address: a home or a host is usually given a
    /// whole /64, so counting each address alone would let one client rotate through
    /// addresses past every limit (README "Deploying").
    static let ipv6ClientPrefixLength = 64

    let settings: ClientLimitSettings
    let isEnforced: Bool

    /// The table key of `client` (an address as ``ClientIdentity`` gives it): the address
    /// itself for IPv4 (canonical), its /64 for IPv6, the text as it is for anything else.
    static func key(of client: String) -> String {
        guard let address = IPAddress(client) else { return client }
        if address.isIPv4 { return address.description }
        return "\(address.masked(to: ipv6ClientPrefixLength))/\(ipv6ClientPrefixLength)"
    }

    private struct Entry {
        var tokens: Double
        var updated: ContinuousClock.Instant
        var replies = 0
    }

    private struct State {
        var clients: [String: Entry] = [:]
        var replies = 0
    }

    private let state = Lock(State())

    init(settings: ClientLimitSettings, isPublic: Bool) {
        self.settings = settings
        isEnforced = settings.enforced ?? isPublic
    }

    /// Replies in flight now, on the whole server (counted only when enforced).
    var repliesInFlight: Int { state.withLock { $0.replies } }
    /// Clients in the table now.
    var trackedClients: Int { state.withLock { $0.clients.count } }

    private var refillPerSecond: Double { Double(settings.requestsPerMinute) / 60 }

    /// Takes one request from `client`'s bucket, or throws 429 with the seconds until one is back.
    func admitRequest(from client: String, now: ContinuousClock.Instant = .now) throws(HTTPError) {
        guard isEnforced else { return }
        let client = Self.key(of: client)
        let wait = state.withLock { state -> Int? in
            var entry = entry(for: client, in: &state, now: now)
            defer { state.clients[client] = entry }
            guard entry.tokens >= 1 else { return Int(((1 - entry.tokens) / refillPerSecond).rounded(.up)) }
            entry.tokens -= 1
            return nil
        }
        if let wait {
            throw HTTPError(.tooManyRequests, "more than \(settings.requestsPerMinute) requests a minute from this client (--requests-per-minute); try again in \(wait) s",
                            code: "rate_limited", headers: ["Retry-After": String(max(1, wait))])
        }
    }

    /// Counts a reply in for `client`, or throws 429 (too many of its own) or 503 (the
    /// server is full). Call ``endReply(of:)`` exactly once for each reply counted in.
    func beginReply(for client: String, now: ContinuousClock.Instant = .now) throws(HTTPError) {
        guard isEnforced else { return }
        let client = Self.key(of: client)
        enum Refusal { case client, server }
        let refusal = state.withLock { state -> Refusal? in
            guard state.replies < settings.maxReplies else { return .server }
            var entry = entry(for: client, in: &state, now: now)
            defer { state.clients[client] = entry }
            guard entry.replies < settings.maxRepliesPerClient else { return .client }
            entry.replies += 1
            state.replies += 1
            return nil
        }
        let retry: HTTPHeaders = ["Retry-After": String(Self.busyRetryAfterSeconds)]
        switch refusal {
        case nil: return
        case .client:
            throw HTTPError(.tooManyRequests, "this client already has \(settings.maxRepliesPerClient) replies streaming (--max-replies-per-client); wait for one to end or stop it",
                            code: "too_many_replies", headers: retry)
        case .server:
            throw HTTPError(.serviceUnavailable, "the server is streaming its most replies at once (\(settings.maxReplies), --max-replies); try again shortly",
                            code: "server_busy", headers: retry)
        }
    }

    /// Counts out a reply ``beginReply(for:now:)`` counted in.
    func endReply(of client: String) {
        guard isEnforced else { return }
        let client = Self.key(of: client)
        state.withLock { state in
            guard var entry = state.clients[client], entry.replies > 0 else { return }
            entry.replies -= 1
            state.clients[client] = entry
            state.replies -= 1
        }
    }

    /// `client`'s entry with its bucket refilled to `now`; makes room for a new one.
    private func entry(for client: String, in state: inout State, now: ContinuousClock.Instant) -> Entry {
        let capacity = Double(settings.requestsPerMinute)
        guard var entry = state.clients[client] else {
            if state.clients.count >= Self.maxTrackedClients { evict(&state, now: now) }
            return Entry(tokens: capacity, updated: now)
        }
        let elapsed = now - entry.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        entry.tokens = min(capacity, entry.tokens + max(0, seconds) * refillPerSecond)
        entry.updated = max(entry.updated, now)
        return entry
    }

    /// Drops every idle entry (its bucket would be full by now, no reply); if none was
    /// idle, the least recently seen entry without a reply.
    private func evict(_ state: inout State, now: ContinuousClock.Instant) {
        let refill = Duration.seconds(60)  // a bucket holds a minute's worth: empty to full in 60 s
        let before = state.clients.count
        state.clients = state.clients.filter { $0.value.replies > 0 || now - $0.value.updated < refill }
        guard state.clients.count == before else { return }
        let oldest = state.clients.filter { $0.value.replies == 0 }.min { $0.value.updated < $1.value.updated }
        if let oldest { state.clients.removeValue(forKey: oldest.key) }
    }
}
