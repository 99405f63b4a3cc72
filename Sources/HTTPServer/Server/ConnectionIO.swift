/// Reads and writes one connection's socket through the loop: try the syscall, and on
/// "would block" suspend until epoll says ready. That loop *is* the backpressure: a
/// writer whose client stops reading stays suspended, holding only what it tried to send.
import Synchronization

struct ConnectionIO: Sendable {
    let socket: Socket
    let loop: EventLoop
    /// Whether the last read emptied the socket (it returned less than it asked for):
    /// then the next read waits for epoll first, saving the `recv` that would only say
    /// "would block" (one syscall of about four per keep-alive request). Edge-triggered
    /// epoll reports any byte that arrives after that read, so nothing is missed.
    private let drained = ConnectionFlag()
    /// Set when a write timed out: the client takes nothing, so the connection ends with
    /// a reset (see ``Socket/closeWithReset()``).
    private let stalled = ConnectionFlag()

    /// Whether a write to this client timed out.
    var hasStalled: Bool { stalled.take() }

    /// Longest a write may make no progress before it fails with `.timedOut`.
    let writeTimeout: Duration
    /// Where every byte written is counted (``HTTPServer/bytesSent``).
    let sentBytes: ByteCounter?

    init(socket: Socket, loop: EventLoop, writeTimeout: Duration, sentBytes: ByteCounter? = nil) {
        self.socket = socket
        self.loop = loop
        self.writeTimeout = writeTimeout
        self.sentBytes = sentBytes
    }

    /// Appends at least one byte to `buffer`, waiting until `deadline` at most.
    func fill(_ buffer: inout ByteBuffer, deadline: ContinuousClock.Instant?) async throws {
        if drained.take() { try await loop.waitReadable(socket, deadline: deadline) }
        while true {
            let result = loop.withReadBuffer { scratch -> Result<Int, SocketError> in
                do throws(SocketError) {
                    let count = try socket.read(into: scratch)
                    buffer.append(UnsafeRawBufferPointer(rebasing: scratch[..<count]))
                    return .success(count)
                } catch .blocked {
                    return .success(0)
                } catch {
                    return .failure(error)
                }
            }
            let count = try result.get()
            if count > 0 {
                drained.set(count < EventLoop.readBufferBytes)
                return
            }
            try await loop.waitReadable(socket, deadline: deadline)
        }
    }

    /// Sends every byte of `bytes`, suspending while the socket is full; throws
    /// `SocketError.timedOut` when the client takes nothing for `writeTimeout`, so a
    /// reader that stopped cannot hold its connection (and the memory behind it) forever.
    func write(_ bytes: [UInt8]) async throws {
        var offset = 0
        // Counted from the last byte that went out: a slow reader is fine, a stopped one is not.
        var deadline: ContinuousClock.Instant?
        while offset < bytes.count {
            let sent = try bytes.withUnsafeBytes { all -> Result<Int, SocketError> in
                do throws(SocketError) {
                    return .success(try socket.send(UnsafeRawBufferPointer(rebasing: all[offset...])))
                } catch .blocked {
                    return .success(0)
                } catch {
                    return .failure(error)
                }
            }.get()
            offset += sent
            if sent > 0 {
                deadline = nil
                sentBytes?.add(sent)
            }
            if offset < bytes.count && sent == 0 {
                if deadline == nil { deadline = .now + writeTimeout }
                do {
                    try await loop.waitWritable(socket, deadline: deadline)
                } catch SocketError.timedOut {
                    stalled.set(true)
                    throw SocketError.timedOut
                }
            }
        }
    }
}

/// One of a connection's flags ("the socket is empty", "a write timed out"); touched only
/// by that connection's task, atomic so the `Sendable` struct can carry it.
private final class ConnectionFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set(_ drained: Bool) { value.store(drained, ordering: .relaxed) }
    func take() -> Bool { value.exchange(false, ordering: .relaxed) }
}

/// A running total of bytes, added to from every connection's task.
final class ByteCounter: Sendable {
    private let total = Atomic<Int>(0)
    func add(_ count: Int) { total.add(count, ordering: .relaxed) }
    var value: Int { total.load(ordering: .relaxed) }
}
