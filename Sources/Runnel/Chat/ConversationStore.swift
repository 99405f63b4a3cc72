import ChatBackends
import Synchronization

/// The server's memory of each conversation (user and assistant turns), keyed by
/// `conversation_id`, bounded every way (DESIGN §4): least recently used conversations
/// are evicted, the oldest turns dropped, idle ones expire. One reply streams per
/// conversation at a time, which keeps its history a clean alternation of turns.
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
        var busy = false
        /// Changes on reset, so a reply that finishes after a reset is not recorded.
        var generation: Int
    }

    /// A reply in progress: what `finish` needs to record it.
    struct Ticket: Sendable {
        let id: String
        let generation: Int
        let history: [ChatMessage]
    }

    let limits: Limits
    private let state = Mutex<(conversations: [String: Conversation], generation: Int)>(([:], 0))

    init(limits: Limits = Limits()) { self.limits = limits }

    /// Marks `id` busy and returns its history; nil if a reply for it is streaming.
    func begin(_ id: String, now: ContinuousClock.Instant = .now) -> Ticket? {
        state.withLock { state in
            if var conversation = state.conversations[id] {
                guard !conversation.busy else { return nil }
                if now - conversation.lastUsed > limits.idleExpiry { conversation.turns = []; conversation.bytes = 0 }
                conversation.busy = true
                conversation.lastUsed = now
                state.conversations[id] = conversation
                return Ticket(id: id, generation: conversation.generation, history: conversation.turns.map(\.message))
            }
            evictIfFull(&state.conversations, now: now)
            state.generation += 1
            state.conversations[id] = Conversation(lastUsed: now, busy: true, generation: state.generation)
            return Ticket(id: id, generation: state.generation, history: [])
        }
    }

    /// Records the exchange (only when the reply has text: providers reject empty
    /// assistant turns) and frees the conversation for the next message.
    func finish(_ ticket: Ticket, user: String, reply: String, interrupted: Bool) {
        state.withLock { state in
            guard var conversation = state.conversations[ticket.id], conversation.generation == ticket.generation else { return }
            conversation.busy = false
            conversation.lastUsed = .now
            if !reply.isEmpty {
                conversation.turns.append(Turn(message: ChatMessage(role: .user, content: user), interrupted: false))
                conversation.turns.append(Turn(message: ChatMessage(role: .assistant, content: reply), interrupted: interrupted))
                conversation.bytes += user.utf8.count + reply.utf8.count
                trim(&conversation)
            }
            state.conversations[ticket.id] = conversation
        }
    }

    /// Forgets `id`; a reply still streaming for it will not be recorded.
    func reset(_ id: String) {
        _ = state.withLock { $0.conversations.removeValue(forKey: id) }
    }

    /// The turns of `id`, oldest first (for tests and diagnostics).
    func turns(of id: String) -> [Turn] {
        state.withLock { $0.conversations[id]?.turns ?? [] }
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

    /// Makes room for one more conversation. Runs only when the store is full, and then
    /// frees a tenth of it (idle-expired ones, then the least recently used), so the scan
    /// is paid once per many new conversations rather than on each.
    private func evictIfFull(_ conversations: inout [String: Conversation], now: ContinuousClock.Instant) {
        guard conversations.count >= limits.maxConversations else { return }
        let idle = conversations.filter { !$0.value.busy }
        let expired = idle.filter { now - $0.value.lastUsed > limits.idleExpiry }.map(\.key)
        let target = max(1, limits.maxConversations / 10)
        let victims = expired.count >= target
            ? expired
            : expired + idle.filter { now - $0.value.lastUsed <= limits.idleExpiry }
                .sorted { $0.value.lastUsed < $1.value.lastUsed }
                .prefix(target - expired.count).map(\.key)
        for id in victims { conversations.removeValue(forKey: id) }
    }
}
