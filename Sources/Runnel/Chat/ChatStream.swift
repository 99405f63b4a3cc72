import ChatBackends
import HTTPServer

/// Writes one reply as the event stream of DESIGN §4: `chunk` events as the backend
/// yields them, then at most one `json_data`, then exactly one `end`; a failure after
/// the start is an `error` event followed by the `end` (with `"error": true`).
struct ChatStream: Sendable {
    let backend: any ChatBackend
    let request: MessageRequest
    let ticket: ConversationStore.Ticket
    let conversations: ConversationStore
    let heartbeat: Duration

    private struct Failure: Error {
        let code: String
        let message: String
    }

    func run(_ writer: any ResponseBodyWriter) async throws {
        let started = ContinuousClock.now
        var reply = ""
        var firstChunk: Duration?
        var usage: ChatUsage?
        var model = backend.model
        var failure: Failure?
        let history = ticket.history + [ChatMessage(role: .user, content: request.message)]
        do {
            try await withHeartbeat(writer, every: heartbeat) { writer in
                let ready = ReadyEvents()
                let events = backend.stream(ChatRequest(messages: history, system: nil, delayMs: request.delayMs))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { await ready.fill(from: events) }
                    defer { group.cancelAll() }
                    while true {
                        let (batch, end) = await ready.next()
                        var bytes: [UInt8] = []
                        for event in batch {
                            switch event {
                            case .delta(let text):
                                if firstChunk == nil { firstChunk = .now - started }
                                reply += text
                                Self.appendChunkEvent(text, to: &bytes)
                            case .usage(let reported): usage = reported
                            case .model(let reported): model = reported
                            }
                        }
                        try await writer.write(bytes)
                        if let end { return try end.get() }
                        if Task.isCancelled { return }
                    }
                }
            }
        } catch let error as ChatBackendError {
            failure = Failure(code: error.code.rawValue, message: error.message)
        } catch is CancellationError {
            // Handled below with every other way of being cancelled.
        } catch {
            // The writer failed: the client is gone, nobody is left to tell.
            if !Task.isCancelled {
                conversations.finish(ticket, user: request.message, reply: reply, interrupted: true)
                throw error
            }
        }
        // A cancelled AsyncThrowingStream just ends, so cancellation is checked, not caught:
        // the client left (record what was said) or the server is stopping (say so).
        if Task.isCancelled && failure == nil {
            guard writer.isShuttingDown else {
                conversations.finish(ticket, user: request.message, reply: reply, interrupted: true)
                return
            }
            failure = Failure(code: "shutting_down", message: "the server is shutting down; the reply was cut short")
        }
        conversations.finish(ticket, user: request.message, reply: reply, interrupted: failure != nil)

        // The closing events go out in one write: they are ready together.
        var closing: [UInt8] = []
        if let failure {
            closing += Self.event([("error", .object([("code", .string(failure.code)), ("message", .string(failure.message))]))])
        } else if let json = JSONExtractor.firstJSON(in: reply) {
            closing += Self.event([("json_data", .raw(json))])
        }
        var end: [(String, JSON)] = [
            ("end", .bool(true)), ("full_response", .string(reply)),
            ("backend", .string(backend.name)), ("model", .string(model)),
            ("conversation_id", .string(request.conversationID)),
        ]
        if let usage {
            end.append(("usage", .object([
                ("input_tokens", usage.inputTokens.map(JSON.int) ?? .null),
                ("output_tokens", usage.outputTokens.map(JSON.int) ?? .null),
            ])))
        }
        if let firstChunk { end.append(("first_chunk_ms", .int(Self.milliseconds(firstChunk)))) }
        end.append(("elapsed_ms", .int(Self.milliseconds(.now - started))))
        if failure != nil { end.append(("error", .bool(true))) }
        try await writer.write(closing + Self.event(end))
    }

    /// `data: {"chunk":"…"}` and its blank line, written without building a JSON tree:
    /// this runs once per token.
    static func appendChunkEvent(_ text: String, to bytes: inout [UInt8]) {
        bytes += #"data: {"chunk":"#.utf8
        JSON.writeString(text, to: &bytes)
        bytes += [UInt8(ascii: "}"), 0x0A, 0x0A]
    }

    static func event(_ fields: [(String, JSON)]) -> [UInt8] {
        var bytes = Array("data: ".utf8)
        JSON.object(fields).write(to: &bytes)
        bytes += [0x0A, 0x0A]
        return bytes
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
