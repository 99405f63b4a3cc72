import Foundation
import HTTPServer

/// The routes of a reply by id (README "Replies"): follow it from any event with
/// `GET /api/replies/{id}/events` (what a reload, a second tab or a plain `EventSource`
/// uses), and stop it with `POST /api/replies/{id}/stop`.
struct ReplyAPI: Sendable {
    let replies: ReplyRegistry
    let heartbeat: Duration

    /// How long a browser's `EventSource` waits before reconnecting (the `retry:` hint).
    static let reconnectMilliseconds = 1000

    func install(into router: inout Router) {
        router.add(.get, "/api/replies/{id}/events") { request in
            try events(request)
        }
        router.add(.post, "/api/replies/{id}/stop") { request in
            let reply = try Self.lookUp(request, in: replies)
            let stoppedNow = reply.end(.stopped)
            await reply.backendFinished()  // so the answer confirms the upstream is closed
            let body = JSON.object([("id", .string(reply.id)), ("state", .string(reply.state.rawValue)), ("stopped", .bool(stoppedNow))])
            return Response(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: body.bytes)
        }
    }

    /// The event stream of a reply read by `reader`, with the reply's id in `X-Reply-Id`.
    /// The access log hears which backend the reply used and how it stood when this
    /// stream ended.
    static func eventStream(_ reader: ReplyReader) -> Response {
        let reply = reader.reply
        var response = Response(status: .ok, headers: [
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
            "X-Reply-Id": reader.reply.id,
        ]) { writer in
            try await reader.stream(to: writer)
        }
        response.logFields = { [("backend", reply.backendName), ("outcome", reply.state.rawValue)] }
        return response
    }

    /// The reply the route's `{id}` names. One whose id names another instance is not
    /// here, and the 404 says so: the proxy in front sent it to the wrong server.
    static func lookUp(_ request: Request, in replies: ReplyRegistry) throws(HTTPError) -> Reply {
        let id = request.parameters["id"] ?? ""
        guard ReplyID.isValid(id) else { throw .invalidReplyID }
        guard let reply = replies.reply(id) else {
            let owner = ReplyID.instance(of: id)
            if owner != replies.instance { throw .replyOnAnotherInstance(owner, here: replies.instance) }
            throw .replyNotFound
        }
        return reply
    }

    /// From the start, or after the event named by `Last-Event-ID` (a browser
    /// reconnecting) or `?after=N`. After the last event of a finished reply: 204, which
    /// tells an `EventSource` not to reconnect. Past the last event: 400.
    private func events(_ request: Request) throws(HTTPError) -> Response {
        let reply = try Self.lookUp(request, in: replies)
        let after = try Self.cursor(request)
        let count = reply.eventCount
        if after > count {
            throw .invalidRequest("event \(after) is past the last event of this reply (\(count) so far)")
        }
        if after == count && reply.state != .streaming {
            return Response(status: .noContent, headers: ["X-Reply-Id": reply.id])
        }
        var reader = ReplyReader.attach(reply, after: after, ids: true, heartbeat: heartbeat)
        reader.preamble = Array("retry: \(Self.reconnectMilliseconds)\n\n".utf8)
        return Self.eventStream(reader)
    }

    private static func cursor(_ request: Request) throws(HTTPError) -> Int {
        var text: Substring?
        if let header = request.headers["Last-Event-ID"] {
            text = Substring(header)
        } else if let query = request.head.query {
            for pair in query.split(separator: "&") where pair.hasPrefix("after=") {
                text = pair.dropFirst("after=".count)
            }
        }
        guard let text else { return 0 }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            throw .invalidRequest("the event to start after ('Last-Event-ID' or '?after=') must be a whole number ≥ 0, not '\(text.prefix(40))'")
        }
        return value
    }
}
