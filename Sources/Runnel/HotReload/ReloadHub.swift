import HTTPServer
import Sockets

/// Fans hot-reload events out to every open tab's `/__runnel/reload` stream. A tab that
/// goes away ends its stream, which unsubscribes it.
final class ReloadHub: Sendable {
    /// Identifies this server process: a tab that reconnects to a different instance
    /// (the binary was rebuilt and restarted) reloads itself.
    let instance: String
    private let subscribers = Lock<(next: Int, all: [Int: AsyncStream<String>.Continuation])>((0, [:]))
    /// Events a tab may fall behind by before older ones are dropped.
    static let bufferedEvents = 64
    /// Open streams at most: one per open tab, far more than anyone keeps of one dev
    /// server. Each holds a connection and ~18 KiB; past the cap a page gets 503.
    static let maxSubscribers = 64

    init(instance: String) { self.instance = instance }

    var subscriberCount: Int { subscribers.withLock { $0.all.count } }

    /// A stream of event payloads (JSON text) for one tab; nil when ``maxSubscribers``
    /// streams are open.
    func subscribe() -> AsyncStream<String>? {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferedEvents))
        let id = subscribers.withLock { state -> Int? in
            guard state.all.count < Self.maxSubscribers else { return nil }
            state.next += 1
            state.all[state.next] = continuation
            return state.next
        }
        guard let id else { return nil }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.all.removeValue(forKey: id) }
        }
        return stream
    }

    /// Sends `event` to every tab.
    func broadcast(_ event: JSON) {
        let text = event.text
        for continuation in subscribers.withLock({ Array($0.all.values) }) { continuation.yield(text) }
    }

    /// Ends every tab's stream (shutdown).
    func finishAll() {
        for continuation in subscribers.withLock({ Array($0.all.values) }) { continuation.finish() }
    }

    /// The `/__runnel/reload` response: a `hello` naming the instance, then each event.
    /// Throws 503 when ``maxSubscribers`` streams are open.
    func response(heartbeat: Duration) throws(HTTPError) -> Response {
        guard subscriberCount < Self.maxSubscribers else { throw .tooManyReloadStreams }
        let hello = JSON.object([("type", .string("hello")), ("instance", .string(instance))]).text
        return Response(status: .ok, headers: [
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        ]) { writer in
            // Subscribed only once the stream runs: a HEAD request never subscribes. A
            // request that lost the race for the last place ends at once; its tab retries.
            guard let stream = self.subscribe() else { return }
            try await withHeartbeat(writer, every: heartbeat) { writer in
                try await writer.write(ServerSentEvent.data(hello))
                for await event in stream {
                    try await writer.write(ServerSentEvent.data(event))
                }
            }
        }
    }
}

extension HTTPError {
    /// ``ReloadHub/maxSubscribers`` streams are open: this tab gets no live reload.
    static let tooManyReloadStreams = HTTPError(
        .serviceUnavailable, "\(ReloadHub.maxSubscribers) hot-reload streams are open already (one per tab); close some tabs and reload this one",
        code: "too_many_reload_streams")
}
