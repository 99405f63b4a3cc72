import ChatBackends
import HTTPServer

extension Reply {
    /// The closing events, ready together so they leave in one write: an `error` (or the
    /// `json_data` of a whole reply), then the `end` (README "The wire format").
    func closingEvents(_ ending: Ending, _ progress: Progress) -> [UInt8] {
        if ending == .dropped { return [] }  // the connection just closes
        var failure: (code: String, message: String)?
        switch ending {
        case .failed(let code, let message): failure = (code, message)
        case .shuttingDown: failure = ("shutting_down", "the server is shutting down; the reply was cut short")
        case .completed, .stopped, .abandoned, .dropped: break
        }
        var bytes: [UInt8] = []
        if let failure {
            bytes += ChatStream.event([("error", .object([("code", .string(failure.code)), ("message", .string(failure.message))]))])
        } else if ending == .completed, let json = JSONExtractor.firstJSON(in: progress.text) {
            bytes += ChatStream.event([("json_data", .raw(json))])
        }
        var end: [(String, JSON)] = [
            ("end", .bool(true)), ("full_response", .string(progress.text)),
            ("backend", .string(backendName)), ("model", .string(progress.model)),
            ("conversation_id", .string(conversationID)),
        ]
        // Only a reply that reasoned, or stopped for another reason than being done, has
        // these: the default stream stays as it was for clients that know neither.
        if !progress.thinking.isEmpty { end.append(("thinking", .string(progress.thinking))) }
        if let reason = progress.finishReason, reason != .stop || !progress.thinking.isEmpty {
            end.append(("finish_reason", .string(reason.rawValue)))
        }
        if let usage = progress.usage {
            var counts: [(String, JSON)] = [
                ("input_tokens", usage.inputTokens.map(JSON.int) ?? .null),
                ("output_tokens", usage.outputTokens.map(JSON.int) ?? .null),
            ]
            if let reasoning = usage.reasoningTokens { counts.append(("reasoning_tokens", .int(reasoning))) }
            end.append(("usage", .object(counts)))
        }
        if let firstChunk = progress.firstChunk { end.append(("first_chunk_ms", .int(ChatStream.milliseconds(firstChunk)))) }
        end.append(("elapsed_ms", .int(ChatStream.milliseconds(.now - progress.started))))
        switch ending {
        case .failed, .shuttingDown: end.append(("error", .bool(true)))
        case .stopped: end.append(("stopped", .bool(true)))
        case .abandoned, .dropped: end.append(("interrupted", .bool(true)))
        case .completed: break
        }
        return bytes + ChatStream.event(end)
    }
}
