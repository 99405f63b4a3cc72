import ChatBackends
import Foundation
import HTTPServer

/// The chat routes (README "The wire format"): `POST /api/message` starts a reply and
/// streams it, `GET /api/conversations/{id}` tells what a page needs to rebuild a chat,
/// `GET /api/backends`, `POST /api/reset`. The reply routes are ``ReplyAPI``'s.
struct ChatAPI: Sendable {
    /// Largest request body of the API routes: 413 beyond it.
    static let maxBodySize = 1 << 20

    let backends: BackendSet
    let conversations: ConversationStore
    let replies: ReplyRegistry
    let replySettings: Reply.Settings
    /// Silence after which a `: ping` comment keeps proxies from closing the stream.
    let heartbeat: Duration
    /// Whether a request without `conversation_id` continues the shared `default` one
    /// (loopback: one user); on a public bind each such request starts a private one.
    let sharesDefaultConversation: Bool
    /// Replies in flight per client and on the whole server.
    let limits: ClientLimits
    let metrics: Metrics

    func install(into router: inout Router) {
        router.add(.post, "/api/message", maxBodySize: Self.maxBodySize) { request in
            try message(request)
        }
        router.add(.get, "/api/backends") { _ in
            Response(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                     body: backends.listing.bytes)
        }
        router.add(.post, "/api/reset", maxBodySize: Self.maxBodySize) { request in
            try reset(request)
        }
        router.add(.get, "/api/conversations/{id}") { request in
            try conversation(request.parameters["id"] ?? "")
        }
    }

    private func message(_ request: Request) throws(HTTPError) -> Response {
        try Self.requireJSON(request)
        var message = try MessageRequest.parse(request.body, limits: conversations.limits)
        guard var backend = backends.backend(named: message.backend) else {
            throw .unknownBackend(message.backend ?? backends.defaultName, known: backends.names)
        }
        // As the provider endpoints' `backend/model`: a local backend has one model and keeps it.
        if let model = message.model { backend = backend.withModel(model) }
        // A failure the backend knows of before streaming (the mock's `status` fault) is
        // the response's status, not a stream.
        if let refusal = backend.refusal(ChatRequest(messages: [ChatMessage(role: .user, content: message.message)])) {
            throw HTTPError(backend: refusal)
        }
        if !message.namesConversation && !sharesDefaultConversation {
            message.conversationID = "c_" + ReplyID.make()
        }
        let client = request.client ?? request.peer ?? "-"
        try limits.beginReply(for: client)
        let id = replies.makeID()
        let ticket: ConversationStore.Ticket
        switch conversations.begin(message.conversationID, reply: id, replacingHistory: message.history) {
        case .ticket(let begun): ticket = begun
        case .busy(let streaming):
            limits.endReply(of: client)
            throw .conversationBusy(message.conversationID, reply: streaming)
        }
        // The reply's one ending: it leaves the registry's live set, frees its client's
        // slot and is counted.
        let reply = Reply(
            id: id, ticket: ticket, message: message.message, resumable: message.resumable, backend: backend,
            settings: replySettings, conversations: conversations, onEnd: { [replies, limits, metrics] reply in
                replies.retire(reply)
                limits.endReply(of: client)
                metrics.replyEnded(reply)
            })
        metrics.replyStarted()
        replies.add(reply)
        let reader = ReplyReader.attach(reply, after: 0, ids: message.resumable, heartbeat: heartbeat)
        let history = ticket.history + [ChatMessage(role: .user, content: message.message)]
        let chat = ChatRequest(messages: history, system: message.system, delayMs: message.delayMs,
                               temperature: message.temperature, maxTokens: message.maxTokens)
        reply.start(backend, request: chat, executor: request.executor)
        return ReplyAPI.eventStream(reader)
    }

    private func conversation(_ id: String) throws(HTTPError) -> Response {
        guard MessageRequest.isValidConversationID(id) else { throw .invalidRequest("invalid conversation id") }
        guard let snapshot = conversations.snapshot(of: id) else { throw .conversationNotFound }
        let messages = snapshot.turns.map { turn -> JSON in
            var fields: [(String, JSON)] = [("role", .string(turn.message.role.rawValue)), ("content", .string(turn.message.content))]
            if turn.interrupted { fields.append(("interrupted", .bool(true))) }
            return .object(fields)
        }
        var inFlight = JSON.null
        if let replyID = snapshot.reply, let reply = replies.reply(replyID) {
            inFlight = .object([("id", .string(reply.id)), ("message", .string(reply.message)), ("backend", .string(reply.backendName))])
        }
        let body = JSON.object([("conversation_id", .string(id)), ("messages", .array(messages)), ("reply", inFlight)])
        return Response(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: body.bytes)
    }

    private func reset(_ request: Request) throws(HTTPError) -> Response {
        try Self.requireJSON(request)
        struct Body: Decodable { let conversation_id: String? }
        let body: Body
        do {
            body = try JSONDecoder().decode(Body.self, from: Data(request.body.isEmpty ? Array("{}".utf8) : request.body))
        } catch {
            throw .invalidJSON("the body must be a JSON object like {\"conversation_id\": \"...\"}")
        }
        let id = body.conversation_id ?? MessageRequest.defaultConversationID
        guard MessageRequest.isValidConversationID(id) else { throw .invalidRequest("invalid 'conversation_id'") }
        conversations.reset(id)
        return Response(status: .noContent)
    }

    /// The API takes JSON only, which also forces browsers into a CORS preflight for any
    /// cross-site request (README "Security defaults").
    static func requireJSON(_ request: Request) throws(HTTPError) {
        let type = request.headers["Content-Type"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else { throw .unsupportedMediaType }
    }
}
