import ChatBackends
import Foundation
import HTTPServer

/// Runs a provider request's backend and answers in a provider format, streamed or whole.
///
/// These streams go from the backend to the socket through a small outbox, not through
/// ``Reply``: they keep no conversation, nobody resumes or stops them by id, and so they
/// need no log. A pump task pulls the backend and encodes; the body's producer writes what
/// has piled up. When the client hangs up the server cancels the producer, which cancels
/// the pump, ending the backend stream and with it any upstream connection.
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
        /// UTF-8 bytes of `text` and `reasoning`, kept as they grow (a whole answer's bound).
        private(set) var textBytes = 0

        init(model: String) {
            id = ReplyID.make()
            created = Int(Date().timeIntervalSince1970)
            self.model = model
        }

        mutating func note(_ event: ChatEvent) {
            switch event {
            case .delta(let piece):
                text += piece
                textBytes += piece.utf8.count
            case .reasoning(let piece):
                reasoning += piece
                textBytes += piece.utf8.count
            case .reasoningSignature(let piece): signature += piece
            case .usage(let counts): usage = counts
            case .finish(let reason): finish = reason
            case .model: break  // the client's name for the model is echoed back
            case .wireFault: break  // a stream writes the mock's breaks of the wire; a whole answer has none to break
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
        /// What a stream silent for `--heartbeat-seconds` sends so proxies keep it open,
        /// or nil where the format's SDK would misread anything but its events.
        var heartbeat: [UInt8]? { get }
    }

    /// A streamed answer: 200 and `text/event-stream` once the backend has started well.
    /// `meter` counts the reply: it ends when the response's producer does (which runs
    /// once, whatever the client does), or here if the backend fails before the answer.
    /// A client that falls `maxBytes` behind the backend gets the format's error event
    /// `client_too_slow`, and the backend stops. Silent for `heartbeat`, the stream gets
    /// the format's heartbeat (a timer on the connection's loop, as for `/api/message`).
    static func stream(_ request: ProviderRequest, encoder: some Encoder, meter: ProviderMeter,
                       maxBytes: Int, heartbeat: Duration) async throws(HTTPError) -> Response {
        let events: PulledEvents
        do {
            events = try await PulledEvents.start(request.backend.stream(request.chat), meter: meter)
        } catch {
            meter.settle(.failed, code: error.code)
            meter.end()
            throw error
        }
        let model = request.model
        var response = Response(status: .ok, headers: [
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "X-Accel-Buffering": "no",
        ]) { writer in
            let outbox = ProviderOutbox(maxPendingBytes: maxBytes)
            // The pump keeps the connection's executor, so the backend and the socket
            // share its event loop, as a reply's backend task does.
            let pump = Task(executorPreference: writer.executor) {
                var encoder = encoder
                var summary = Summary(model: model)
                outbox.put(encoder.start(summary))
                do {
                    while let event = try await events.next() {
                        // The mock's breaks of the wire (README "Mock scenarios"), as on /api/message.
                        if case .wireFault(let fault) = event {
                            switch fault {
                            case .malformedFrame: outbox.put(ChatStream.malformedFrame)
                            case .dropConnection:
                                outbox.put([], drops: true)
                                return  // unsettled: counted as interrupted
                            }
                            continue
                        }
                        summary.note(event)
                        let bytes = encoder.encode(event, summary)
                        if !bytes.isEmpty, !outbox.put(bytes) {
                            let error = HTTPError.clientTooSlow(behindBy: maxBytes)
                            meter.settle(.failed, code: error.code)
                            outbox.put(encoder.fail(error, summary), done: true)
                            return  // the backend stops with this task
                        }
                    }
                    if Task.isCancelled { return }  // the client left: nobody to tell
                    meter.settle(.completed)
                    outbox.put(encoder.finish(summary), done: true)
                } catch let error as ChatBackendError {
                    if !Task.isCancelled { meter.settle(.failed, code: error.code.rawValue) }
                    outbox.put(encoder.fail(HTTPError(backend: error), summary), done: true)
                } catch {
                    if !Task.isCancelled { meter.settle(.failed, code: "internal_error") }
                    outbox.put(encoder.fail(HTTPError(.internalServerError, "unexpected failure: \(error)"), summary), done: true)
                }
            }
            // However this ends (done, the client gone, a failed write), the backend stops
            // and the reply is counted (as interrupted if the pump never settled it).
            defer {
                pump.cancel()
                meter.end()
            }
            let ping = encoder.heartbeat
            var lastWrite = ContinuousClock.now
            while true {
                var (bytes, done) = await outbox.take(until: ping.map { _ in lastWrite + heartbeat }, on: writer)
                if Task.isCancelled { return }
                if bytes.isEmpty, !done, let ping { bytes = ping }
                if !bytes.isEmpty {
                    try await writer.write(bytes)
                    lastWrite = .now
                }
                if done {
                    // Thrown, the server closes the connection without ending the body.
                    if outbox.dropsConnection { throw ChatStream.DroppedConnection() }
                    return
                }
            }
        }
        response.logFields = { meter.logFields }
        return response
    }

    /// A whole answer: every event collected; any failure is the format's HTTP error.
    /// Its text and reasoning together hold at most `maxBytes` (`reply_too_large` past it).
    static func collect(_ request: ProviderRequest, meter: ProviderMeter, maxBytes: Int) async throws(HTTPError) -> Summary {
        defer { meter.end() }
        var summary = Summary(model: request.model)
        do {
            for try await event in request.backend.stream(request.chat) {
                summary.note(event)
                meter.note(event)
                if summary.textBytes > maxBytes {
                    let error = HTTPError.wholeAnswerTooLarge(maxBytes)
                    meter.settle(.failed, code: error.code)
                    throw error  // leaving the loop stops the backend
                }
            }
        } catch let error as HTTPError {
            throw error
        } catch let error as ChatBackendError {
            if !Task.isCancelled { meter.settle(.failed, code: error.code.rawValue) }
            throw HTTPError(backend: error)
        } catch {
            if !Task.isCancelled { meter.settle(.failed, code: "internal_error") }
            throw HTTPError(.internalServerError, "unexpected failure: \(error)")
        }
        if !Task.isCancelled { meter.settle(.completed) }
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

    /// A whole answer's response, logged with `meter`'s fields when given.
    static func json(_ body: JSON, meter: ProviderMeter? = nil) -> Response {
        var response = Response(status: .ok, headers: ["Content-Type": "application/json"], body: body.bytes)
        if let meter { response.logFields = { meter.logFields } }
        return response
    }
}

/// A backend's stream with its first events already pulled, so the handler learns of a
/// failure before it answers.
///
/// `@unchecked Sendable`: the iterator is used by one task at a time, never two at
/// once: the handler pulls the first events in ``start(_:)``, and only after it returns
/// does the stream's pump task (to which the handler hands this object) call ``next()``.
private final class PulledEvents: @unchecked Sendable {
    private var iterator: ChatEvents.AsyncIterator
    private var pending: [ChatEvent]
    /// Told of each event as it comes from the backend.
    private let meter: ProviderMeter

    private init(_ iterator: ChatEvents.AsyncIterator, pending: [ChatEvent], meter: ProviderMeter) {
        self.iterator = iterator
        self.pending = pending
        self.meter = meter
    }

    /// Pulls until the first text or reasoning, or the end; throws the backend's failure
    /// if it comes first.
    static func start(_ stream: ChatEvents, meter: ProviderMeter) async throws(HTTPError) -> PulledEvents {
        var iterator = stream.makeAsyncIterator()
        var pending: [ChatEvent] = []
        do {
            while let event = try await iterator.next() {
                meter.note(event)
                pending.append(event)
                switch event {
                case .delta, .reasoning: return PulledEvents(iterator, pending: pending, meter: meter)
                default: continue
                }
            }
        } catch let error as ChatBackendError {
            throw HTTPError(backend: error)
        } catch {
            throw HTTPError(.internalServerError, "unexpected failure: \(error)")
        }
        return PulledEvents(iterator, pending: pending, meter: meter)
    }

    func next() async throws -> ChatEvent? {
        if !pending.isEmpty { return pending.removeFirst() }
        let event = try await iterator.next()
        if let event { meter.note(event) }
        return event
    }
}
