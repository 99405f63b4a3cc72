import Sockets
import Synchronization

/// The ``ResponseBodyWriter`` of a streamed response: frames each piece as one chunk on
/// HTTP/1.1 (raw on 1.0, where the body ends when the connection closes), sends it at
/// once, and fails as soon as the client is known to be gone.
final class StreamWriter: ResponseBodyWriter {
    private let io: ConnectionIO
    private let chunked: Bool
    private let registry: ConnectionRegistry
    private let lock = AsyncSerialLock()
    private let sent = Atomic<Int>(0)
    /// The socket error that ended an earlier write (a client that left or stopped reading
    /// for the write timeout): later writes fail with it at once instead of waiting again.
    private let failure = Lock<SocketError?>(nil)

    init(io: ConnectionIO, chunked: Bool, registry: ConnectionRegistry) {
        self.io = io
        self.chunked = chunked
        self.registry = registry
    }

    var isShuttingDown: Bool { registry.isShuttingDown }
    var executor: (any TaskExecutor)? { io.loop }

    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> ScheduledAction {
        let timer = io.loop.schedule(at: deadline, action)
        return ScheduledAction { timer.cancel() }
    }

    /// Body bytes written so far (without chunk framing).
    var bytesSent: Int { sent.load(ordering: .relaxed) }

    func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        // A stream to a client that hung up is over, even while the kernel still
        // accepts bytes for it.
        if io.loop.hasHungUp(io.socket) { throw SocketError.disconnected }
        if let failure = failure.withLock({ $0 }) { throw failure }
        var framed = bytes
        if chunked {
            framed = Array(String(bytes.count, radix: 16).utf8) + [.cr, .lf]
            framed.reserveCapacity(framed.count + bytes.count + 2)
            framed += bytes
            framed += [.cr, .lf]
        }
        do {
            try await lock.withLock { try await io.write(framed) }
        } catch let error as SocketError {
            failure.withLock { $0 = error }
            throw error
        }
        sent.add(bytes.count, ordering: .relaxed)
    }

    /// Ends a chunked body with its zero-length last chunk.
    func finish() async throws {
        if chunked { try await lock.withLock { try await io.write(Array("0\r\n\r\n".utf8)) } }
    }
}
