import HTTPServer

/// One connection reading a reply: a cursor into its log, written to the socket as events
/// come (README "Replies"). It holds no copy of the log, only the piece being written;
/// a write that makes no progress for the server's write timeout fails, and the reader
/// leaves. Leaving (for whatever reason) is counted once, when ``stream(to:)`` returns.
struct ReplyReader: Sendable {
    let reply: Reply
    /// Events already seen: 0 reads from the start.
    let cursor: Int
    /// Whether events carry SSE `id:` fields (resumable streams and the GET route).
    let ids: Bool
    let heartbeat: Duration
    /// Bytes sent before the first event (the GET route's `retry:` hint).
    var preamble: [UInt8] = []

    /// Counts a new reader in; call ``stream(to:)`` exactly once afterwards.
    static func attach(_ reply: Reply, after cursor: Int, ids: Bool, heartbeat: Duration) -> ReplyReader {
        reply.attach()
        return ReplyReader(reply: reply, cursor: cursor, ids: ids, heartbeat: heartbeat)
    }

    func stream(to writer: any ResponseBodyWriter) async throws {
        defer { reply.detach() }
        var cursor = self.cursor
        var pending = preamble
        var lastWrite = ContinuousClock.now
        while true {
            // Silent for `heartbeat`: a `: ping` comment keeps proxies from closing the stream.
            let batch = await reply.events(after: cursor, ids: ids, until: lastWrite + heartbeat, on: writer)
            cursor = batch.cursor
            if batch.bytes.isEmpty && !batch.ended && !Task.isCancelled && pending.isEmpty {
                pending = ServerSentEvent.comment("ping")
            }
            if !(pending.isEmpty && batch.bytes.isEmpty) {
                try await writer.write(pending + batch.bytes)
                lastWrite = .now
                pending = []
            }
            if batch.ended {
                // Thrown, the server closes the connection without ending the body.
                if reply.dropsConnections { throw ChatStream.DroppedConnection() }
                return
            }
            if Task.isCancelled {
                // The server is stopping and its grace period is over: end the reply
                // with `shutting_down` so this reader still writes its last events.
                guard writer.isShuttingDown else { return }
                reply.end(.shuttingDown)
                while let rest = reply.eventsNow(after: cursor, ids: ids), !rest.bytes.isEmpty {
                    try await writer.write(rest.bytes)
                    cursor = rest.cursor
                }
                return
            }
        }
    }
}
