import ChatBackends
import Synchronization

/// The server's memory of each conversation (user and assistant turns), keyed by
/// `conversation_id`, bounded every way (README "The wire format"): least recently used conversations
/// are evicted, the oldest turns dropped, idle ones expire. One reply streams per
/// conversation at a time, which keeps its history a clean alternation of turns.
///
/// Recency is a queue of (id, stamp) appended on every use; an entry whose stamp is no
/// longer the conversation's is stale and skipped, and so is a busy conversation's (it
/// rejoins when its reply ends). Eviction and expiry pop from the front, so both cost O(1)
/// amortised, however many conversations there are or are streaming.
final class ConversationStore: Sendable {
    typealias Limits = ConversationLimits

    /// One remembered turn. `interrupted` marks a reply cut short (client left, error).
    struct Turn: Sendable, Equatable {
        let message: ChatMessage
        let interrupted: Bool
    }

    private struct Conversation {
        var turns: [Turn] = []
        var bytes = 0
        var lastUsed: ContinuousClock.Instant
        /// The reply streaming for it, if any: one at a time.
        var reply: String?
        var busy: Bool { reply != nil }
        /// Changes on reset, so a reply that finishes after a reset is not recorded.
        var generation: Int
        /// This conversation's latest entry in the recency queue.
        var stamp = 0
    }

    private struct State {
        var conversations: [String: Conversation] = [:]
        var generation = 0
        var recency: [(id: String, stamp: Int)] = []
        var recencyHead = 0
        var nextStamp = 0
        /// The text of every conversation together, bounded by `limits.maxTotalBytes`.
        var totalBytes = 0

        mutating func forget(_ id: String) {
            if let gone = conversations.removeValue(forKey: id) { totalBytes -= gone.bytes }
        }
    }

    /// A reply in progress: what `finish` needs to record it.
    struct Ticket: Sendable {
        let id: String
        let generation: Int
        let history: [ChatMessage]
    }

    let limits: Limits
    private let state = Mutex(State())

    init(limits: Limits = Limits()) { self.limits = limits }

    /// What ``begin(_:reply:now:)`` gives: the ticket, or the reply already streaming.
    enum Begun: Sendable {
        case ticket(Ticket)
        case busy(reply: String)

        var ticket: Ticket? {
            if case .ticket(let ticket) = self { return ticket }
            return nil
        }
    }

    /// Marks `id` busy with `reply` and returns its history, unless a reply for it is
    /// already streaming. `history`, when given (a client's, README "History in the
    /// request"), first replaces the stored turns: the reply continues from there.
    func begin(_ id: String, reply: String = "", replacingHistory history: [ChatMessage]? = nil,
               now: ContinuousClock.Instant = .now) -> Begun {
        state.withLock { state in
            Self.expire(&state, now: now, after: limits.idleExpiry)
            var conversation: Conversation
            if let existing = state.conversations[id] {
                if let streaming = existing.reply { return .busy(reply: streaming) }
                conversation = existing
            } else {
                if state.conversations.count >= limits.maxConversations { Self.evictOldest(&state) }
                state.generation += 1
                conversation = Conversation(lastUsed: now, generation: state.generation)
            }
            conversation.reply = reply
            conversation.lastUsed = now
            if let history {
                let before = conversation.bytes
                conversation.turns = history.map { Turn(message: $0, interrupted: false) }
                conversation.bytes = history.reduce(0) { $0 + $1.content.utf8.count }
                trim(&conversation)
                state.totalBytes += conversation.bytes - before
            }
            state.conversations[id] = conversation
            Self.touch(id, in: &state)
            // This conversation is busy now, so it is never the one evicted.
            while state.totalBytes > limits.maxTotalBytes, Self.evictOldest(&state) {}
            return .ticket(Ticket(id: id, generation: conversation.generation, history: conversation.turns.map(\.message)))
        }
    }

    /// Records the exchange (only when the reply has text: providers reject empty
    /// assistant turns) and frees the conversation for the next message.
    func finish(_ ticket: Ticket, user: String, reply: String, interrupted: Bool) {
        state.withLock { state in
            guard var conversation = state.conversations[ticket.id], conversation.generation == ticket.generation else { return }
            conversation.reply = nil
            conversation.lastUsed = .now
            let before = conversation.bytes
            if !reply.isEmpty {
                // An exchange larger than a conversation may hold is kept cut to fit, so no
                // conversation ever holds more than `maxBytes`.
                let userBytes = min(user.utf8.count, limits.maxBytes / 2)
                let kept = (Self.clip(user, to: userBytes), Self.clip(reply, to: limits.maxBytes - userBytes))
                conversation.turns.append(Turn(message: ChatMessage(role: .user, content: kept.0), interrupted: false))
                conversation.turns.append(Turn(message: ChatMessage(role: .assistant, content: kept.1), interrupted: interrupted))
                conversation.bytes += kept.0.utf8.count + kept.1.utf8.count
                trim(&conversation)
            }
            state.conversations[ticket.id] = conversation
            state.totalBytes += conversation.bytes - before
            Self.touch(ticket.id, in: &state)
            while state.totalBytes > limits.maxTotalBytes, Self.evictOldest(&state) {}
        }
    }

    /// `text` cut to at most `bytes` UTF-8 bytes on a character boundary, marked with "…".
    static func clip(_ text: String, to bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var used = 3  // the "…"
        var end = text.startIndex
        for character in text {
            used += character.utf8.count
            if used > bytes { break }
            end = text.index(after: end)
        }
        return String(text[..<end]) + "…"
    }

    /// Forgets `id`; a reply still streaming for it will not be recorded.
    func reset(_ id: String) {
        state.withLock { $0.forget(id) }
    }

    /// The text held by every conversation together.
    var totalBytes: Int { state.withLock { $0.totalBytes } }

    /// The turns of `id`, oldest first (for tests and diagnostics).
    func turns(of id: String) -> [Turn] {
        state.withLock { $0.conversations[id]?.turns ?? [] }
    }

    /// The turns of `id` and the reply streaming for it; nil for an unknown conversation.
    func snapshot(of id: String) -> (turns: [Turn], reply: String?)? {
        state.withLock { state in
            guard let conversation = state.conversations[id] else { return nil }
            return (conversation.turns, conversation.reply)
        }
    }

    var count: Int { state.withLock { $0.conversations.count } }

    private func trim(_ conversation: inout Conversation) {
        // Drop whole exchanges (user + assistant) so the history still alternates.
        while conversation.turns.count > limits.maxTurns || (conversation.bytes > limits.maxBytes && conversation.turns.count > 2) {
            let dropped = conversation.turns.prefix(2)
            conversation.bytes -= dropped.reduce(0) { $0 + $1.message.content.utf8.count }
            conversation.turns.removeFirst(dropped.count)
        }
    }

    private static func touch(_ id: String, in state: inout State) {
        state.nextStamp += 1
        state.conversations[id]?.stamp = state.nextStamp
        state.recency.append((id, state.nextStamp))
        let live = state.recency.count - state.recencyHead
        if live > 2 * state.conversations.count + 1024 {
            // Mostly stale entries: rebuild from the conversations themselves.
            state.recency = state.conversations.map { ($0.key, $0.value.stamp) }.sorted { $0.stamp < $1.stamp }
            state.recencyHead = 0
        } else if state.recencyHead > 1024 && state.recencyHead * 2 > state.recency.count {
            state.recency.removeFirst(state.recencyHead)
            state.recencyHead = 0
        }
    }

    /// The least recently used idle conversation, dropping stale entries and busy ones on
    /// the way (a busy conversation is in use: it rejoins the queue when its reply ends,
    /// as `finish` touches it); nil when none is left. Each entry is dropped once, so
    /// this is O(1) amortised however many conversations are streaming.
    private static func oldest(_ state: inout State) -> (id: String, conversation: Conversation)? {
        while state.recencyHead < state.recency.count {
            let entry = state.recency[state.recencyHead]
            if let conversation = state.conversations[entry.id], conversation.stamp == entry.stamp, !conversation.busy {
                return (entry.id, conversation)
            }
            state.recencyHead += 1
        }
        return nil
    }

    /// Forgets conversations idle longer than `expiry`, oldest first.
    private static func expire(_ state: inout State, now: ContinuousClock.Instant, after expiry: Duration) {
        while let (id, conversation) = oldest(&state), now - conversation.lastUsed > expiry {
            state.forget(id)
            state.recencyHead += 1
        }
    }

    /// Forgets the least recently used conversation that is not streaming; false when
    /// every one is.
    @discardableResult
    private static func evictOldest(_ state: inout State) -> Bool {
        guard let (id, _) = oldest(&state) else { return false }
        state.forget(id)
        state.recencyHead += 1
        return true
    }
}
