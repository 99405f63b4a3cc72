import ChatBackends
import Foundation
import HTTPServer

/// Runs a provider request's backend and answers in a provider format, streamed or whole.
///
/// These streams go straight from the backend to the socket, not through ``Reply``: they
/// keep no conversation, nobody resumes or stops them by id, and so they need no log. The
/// backend's stream is pulled by the body's producer; when the client hangs up the server
/// cancels that task, which ends the backend stream and with it any upstream connection
/// (the same path that makes `/api/message` cancel at once).
///
/// Before answering, the backend is pulled up to its first piece of text (or its end): a
/// backend that fails at once (the mock's `/error`, an upstream 429) gets the format's
/// HTTP error and status, so each SDK raises its own exception class. Later failures go
/// inside the stream, in the format's way.
enum ProviderReply {
    /// What a reply said so far; the encoders read it to write usage and endings.
    struct Summary {
        let id: String
        let created: Int
        /// The model as the client asked for it.
        let model: String
        var text = ""
        var reasoning = ""
        var signature = ""
        var usage = ChatUsage()
        var finish: ChatFinishReason?

        init(model: String) {
            id = ReplyID.make()
            created = Int(Date().timeIntervalSince1970)
            self.model = model
        }

        mutating func note(_ event: ChatEvent) {
            switch event {
            case .delta(let piece): text += piece
            case .reasoning(let piece): reasoning += piece
            case .reasoningSignature(let piece): signature += piece
            case .usage(let counts): usage = counts
            case .finish(let reason): finish = reason
            case .model: break  // the client's name for the model is echoed back
            }
        }

        var inputTokens: Int { usage.inputTokens ?? 0 }
        var outputTokens: Int { usage.outputTokens ?? 0 }
    }

    /// A format's way of writing a streamed reply.
    protocol Encoder: Sendable {
        /// What goes out before the first event.
        mutating func start(_ summary: Summary) -> [UInt8]
        /// What `event` becomes (often nothing until later), `summary` already updated by it.
        mutating func encode(_ event: ChatEvent, _ summary: Summary) -> [UInt8]
        /// The closing events of a completed reply.
        mutating func finish(_ summary: Summary) -> [UInt8]
        /// The error event of a reply that failed after it started.
        mutating func fail(_ error: HTTPError, _ summary: Summary) -> [UInt8]
    }

    /// A streamed answer: 200 and `text/event-stream` once the backend has started well.
    static func stream(_ request: ProviderRequest, encoder: some Encoder) async throws(HTTPError) -> Response {
        let events = try await PulledEvents.start(request.backend.stream(request.chat))
        let model = request.model
        return Response(status: .ok, headers: [
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no",
        ]) { writer in
            var encoder = encoder
            var summary = Summary(model: model)
            var out = encoder.start(summary)
            do {
                while let event = try await events.next() {
                    summary.note(event)
                    out += encoder.encode(event, summary)
                    if !out.isEmpty {
                        try await writer.write(out)
                        out = []
                    }
                }
                if Task.isCancelled { return }  // the client left: nobody to tell
                out += encoder.finish(summary)
            } catch let error as ChatBackendError {
                out += encoder.fail(HTTPError(backend: error), summary)
            }
            try await writer.write(out)
        }
    }

    /// A whole answer: every event collected; any failure is the format's HTTP error.
    static func collect(_ request: ProviderRequest) async throws(HTTPError) -> Summary {
        var summary = Summary(model: request.model)
        do {
            for try await event in request.backend.stream(request.chat) { summary.note(event) }
        } catch let error as ChatBackendError {
            throw HTTPError(backend: error)
        } catch {
            throw HTTPError(.internalServerError, "unexpected failure: \(error)")
        }
        return summary
    }

    /// One server-sent event: `event: <name>` when named, then `data: <json>` and a blank line.
    static func event(_ body: JSON) -> [UInt8] { event(nil, body) }

    static func event(_ name: String?, _ body: JSON) -> [UInt8] {
        var bytes: [UInt8] = []
        if let name { bytes += "event: \(name)\n".utf8 }
        bytes += "data: ".utf8
        body.write(to: &bytes)
        bytes += [0x0A, 0x0A]
        return bytes
    }

    static func json(_ body: JSON) -> Response {
        Response(status: .ok, headers: ["Content-Type": "application/json"], body: body.bytes)
    }
}

/// A backend's stream with its first events already pulled, so the handler learns of a
/// failure before it answers.
///
/// `@unchecked Sendable`: the iterator is used by one task at a time, never two at
/// once: the handler pulls the first events in ``start(_:)``, and only after it returns
/// does the body's producer (to which the handler hands this object) call ``next()``.
private final class PulledEvents: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<ChatEvent, Error>.AsyncIterator
    private var pending: [ChatEvent]

    private init(_ iterator: AsyncThrowingStream<ChatEvent, Error>.AsyncIterator, pending: [ChatEvent]) {
        self.iterator = iterator
        self.pending = pending
    }

    /// Pulls until the first text or reasoning, or the end; throws the backend's failure
    /// if it comes first.
    static func start(_ stream: AsyncThrowingStream<ChatEvent, Error>) async throws(HTTPError) -> PulledEvents {
        var iterator = stream.makeAsyncIterator()
        var pending: [ChatEvent] = []
        do {
            while let event = try await iterator.next() {
                pending.append(event)
                switch event {
                case .delta, .reasoning: return PulledEvents(iterator, pending: pending)
                default: continue
                }
            }
        } catch let error as ChatBackendError {
            throw HTTPError(backend: error)
        } catch {
            throw HTTPError(.internalServerError, "unexpected failure: \(error)")
        }
        return PulledEvents(iterator, pending: pending)
    }

    func next() async throws -> ChatEvent? {
        if !pending.isEmpty { return pending.removeFirst() }
        return try await iterator.next()
    }
}
