import Sockets

/// Runs `body` with a writer that also sends a `: ping` comment whenever nothing was
/// written for `interval`, so proxies keep a silent stream open. The pings stop when
/// `body` returns or throws.
///
/// ```swift
/// try await withHeartbeat(writer, every: .seconds(15)) { writer in
///     for try await event in events { try await writer.write(event) }
/// }
/// ```
public func withHeartbeat<T: Sendable>(
    _ writer: any ResponseBodyWriter, every interval: Duration,
    _ body: (any ResponseBodyWriter) async throws -> T
) async throws -> T {
    let tracked = HeartbeatWriter(writer)
    let pinger = Task(executorPreference: writer.executor) {
        var wait = interval
        while true {
            try await Task.sleep(for: wait)
            let quiet = ContinuousClock.now - tracked.lastWrite
            if quiet >= interval {
                try await tracked.write(ServerSentEvent.comment("ping"))
                wait = interval
            } else {
                wait = interval - quiet
            }
        }
    }
    // The pinger must be over before the caller ends the body: a ping after the last
    // chunk would corrupt the framing.
    let result = await Result(catching: { try await body(tracked) })
    pinger.cancel()
    _ = await pinger.result
    return try result.get()
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// A writer that remembers when it last wrote.
private final class HeartbeatWriter: ResponseBodyWriter {
    private let base: any ResponseBodyWriter
    private let last = Lock(ContinuousClock.now)

    init(_ base: any ResponseBodyWriter) { self.base = base }

    var lastWrite: ContinuousClock.Instant { last.withLock { $0 } }
    var isShuttingDown: Bool { base.isShuttingDown }
    var executor: (any TaskExecutor)? { base.executor }

    func write(_ bytes: [UInt8]) async throws {
        try await base.write(bytes)
        last.withLock { $0 = .now }
    }
}
