import ChatBackends
import Foundation
import HTTPServer
import Synchronization

/// The chat routes: `POST /api/message` (the stream), `GET /api/backends`,
/// `POST /api/reset` (DESIGN §3, §4).
struct ChatAPI: Sendable {
    /// Largest request body of the API routes: 413 beyond it.
    static let maxBodySize = 1 << 20

    let backends: BackendSet
    let conversations: ConversationStore
    /// Silence after which a `: ping` comment keeps proxies from closing the stream.
    let heartbeat: Duration

    func install(into router: inout Router) {
        router.add(.post, "/api/message", maxBodySize: Self.maxBodySize) { request in
            answering { () throws(APIError) in try message(request) }
        }
        router.add(.get, "/api/backends") { _ in
            Response(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"],
                     body: backends.listing.bytes)
        }
        router.add(.post, "/api/reset", maxBodySize: Self.maxBodySize) { request in
            answering { () throws(APIError) in try reset(request) }
        }
    }

    private func answering(_ body: () throws(APIError) -> Response) -> Response {
        do { return try body() } catch { return error.response }
    }

    private func message(_ request: Request) throws(APIError) -> Response {
        try Self.requireJSON(request)
        let message = try MessageRequest.parse(request.body)
        guard let backend = backends.backend(named: message.backend) else {
            throw .unknownBackend(message.backend ?? backends.defaultName, known: backends.names)
        }
        guard let ticket = conversations.begin(message.conversationID) else {
            throw .conversationBusy(message.conversationID)
        }
        let stream = ChatStream(
            backend: backend, request: message, ticket: ticket, conversations: conversations,
            heartbeat: heartbeat)
        let unfinished = UnfinishedReply(ticket: ticket, conversations: conversations)
        return Response(status: .ok, headers: [
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        ]) { writer in
            unfinished.started()
            try await stream.run(writer)
        }
    }

    private func reset(_ request: Request) throws(APIError) -> Response {
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

    /// Frees a conversation whose reply never started (the client left before the
    /// response head went out): the stream closure is dropped unrun, and with it this.
    private final class UnfinishedReply: Sendable {
        private let ticket: ConversationStore.Ticket
        private let conversations: ConversationStore
        private let running = Atomic<Bool>(false)

        init(ticket: ConversationStore.Ticket, conversations: ConversationStore) {
            self.ticket = ticket
            self.conversations = conversations
        }

        func started() { running.store(true, ordering: .relaxed) }

        deinit {
            if !running.load(ordering: .relaxed) { conversations.finish(ticket, user: "", reply: "", interrupted: true) }
        }
    }

    /// DESIGN §8: the API takes JSON only, which also forces browsers into a CORS
    /// preflight for any cross-site request.
    static func requireJSON(_ request: Request) throws(APIError) {
        let type = request.headers["Content-Type"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/json" else { throw .unsupportedMediaType }
    }
}
