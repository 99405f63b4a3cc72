import ChatBackends
import Foundation
import HTTPServer

/// The inspector (README "Record and replay"), dev mode only: a page listing the recent
/// replies with their timing, and for one reply its events over time, its normalized
/// events beside the upstream's raw frames, live while it streams; and a button that
/// saves it as a cassette when `--record` is set. The page is `Templates/inspector.html`
/// with `Frontend/inspector/`; its data comes from the JSON routes below, which the
/// security policy guards like every other route (loopback Host rules, the access token).
struct InspectorAPI: Sendable {
    static let path = "/__runnel/inspector"
    /// Raw upstream bytes each reply keeps for the inspector when not recording (recording
    /// keeps `ExchangeTrace.defaultMaxRawBytes`, the whole of any ordinary reply).
    static let maxRawBytesPerReply = 256 << 10
    /// The most replies the list route returns (the newest).
    static let maxListed = 200
    /// The characters of each reply's message the list repeats.
    static let messagePreview = 120

    let replies: ReplyRegistry
    let pages: Pages
    /// Where "save as cassette" writes (`--record`), if anywhere.
    let shelf: CassetteShelf?

    func install(into router: inout Router) {
        router.add(.get, Self.path) { request in
            do throws(TemplateError) {
                return StaticFiles.serve(try pages.page("inspector.html"), for: request)
            } catch {
                throw HTTPError.templateFailed(error)
            }
        }
        router.add(.get, Self.path + "/replies") { _ in
            let listed = replies.recent.prefix(Self.maxListed).map(Self.summary)
            return Self.json(.object([("recording", .bool(shelf != nil)), ("replies", .array(listed))]))
        }
        router.add(.get, Self.path + "/replies/{id}") { request in
            try detail(ReplyAPI.lookUp(request, in: replies))
        }
        router.add(.post, Self.path + "/replies/{id}/cassette", maxBodySize: 1024) { request in
            try save(ReplyAPI.lookUp(request, in: replies), request)
        }
    }

    /// One line of the list: who answered, how it stands, and how fast.
    static func summary(_ reply: Reply) -> JSON {
        let overview = reply.overview
        let deltas = reply.trace?.snapshot.events.count { if case .delta = $0.event { true } else { false } }
        // Tokens as the upstream counted them, else one per chunk (what local backends send).
        let tokens = overview.usage?.outputTokens ?? deltas
        var tokensPerSecond = JSON.null
        // From the first token on: the rate of generation, apart from the wait for it.
        let generating = overview.firstChunk.map { ChatStream.milliseconds(overview.elapsed - $0) } ?? 0
        if let tokens, generating > 0 {
            tokensPerSecond = .raw(String(format: "%.1f", Double(tokens) * 1000 / Double(generating)))
        }
        return .object([
            ("id", .string(reply.id)),
            ("backend", .string(reply.backendName)),
            ("model", .string(overview.model)),
            ("state", .string(overview.state.rawValue)),
            ("message", .string(String(reply.message.prefix(messagePreview)))),
            ("started_at", .string(Cassette.timestamp(reply.startedAt))),
            ("first_chunk_ms", overview.firstChunk.map { .int(ChatStream.milliseconds($0)) } ?? .null),
            ("duration_ms", .int(ChatStream.milliseconds(overview.elapsed))),
            ("tokens", tokens.map(JSON.int) ?? .null),
            ("tokens_counted", .string(overview.usage?.outputTokens != nil ? "usage" : "chunks")),
            ("tokens_per_s", tokensPerSecond),
            ("text_bytes", .int(overview.textBytes)),
            ("log_bytes", .int(overview.logBytes)),
            ("events", .int(overview.events)),
        ])
    }

    /// A reply's summary and its trace as a cassette would hold it (the same format:
    /// request, raw frames with times, normalized events, outcome).
    private func detail(_ reply: Reply) throws(HTTPError) -> Response {
        var fields: [(String, JSON)] = [("reply", Self.summary(reply))]
        if let trace = reply.trace {
            let snapshot = trace.snapshot
            do {
                let cassette = try Cassette(snapshot).encoded()
                fields.append(("trace", .raw(String(decoding: cassette, as: UTF8.self))))
            } catch {
                throw HTTPError(.internalServerError, "could not encode the reply's trace: \(error)")
            }
            fields += [("raw_bytes", .int(snapshot.rawBytes)), ("raw_bytes_dropped", .int(snapshot.rawBytesDropped)),
                       ("raw_bytes_limit", .int(trace.maxRawBytes))]
        }
        return Self.json(.object(fields))
    }

    /// Writes a finished reply as a cassette in the `--record` folder. JSON only, so a
    /// cross-site form cannot post here without a preflight, which this server refuses.
    private func save(_ reply: Reply, _ request: Request) throws(HTTPError) -> Response {
        try ChatAPI.requireJSON(request)
        guard let shelf else {
            throw HTTPError(.conflict, "nowhere to save: start runnel with --record DIR")
        }
        guard let trace = reply.trace, reply.state != .streaming else {
            throw HTTPError(.conflict, "the reply is still streaming; save it once it has ended")
        }
        do {
            let file = try shelf.save(Cassette(trace.snapshot))
            return Self.json(.object([("file", .string(file.path))]))
        } catch {
            throw HTTPError(.internalServerError, "could not write the cassette in \(shelf.directory.path): \(error)")
        }
    }

    private static func json(_ body: JSON) -> Response {
        Response(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store"], body: body.bytes)
    }
}
