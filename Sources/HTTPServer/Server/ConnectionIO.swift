/// Reads and writes one connection's socket through the loop: try the syscall, and on
/// "would block" suspend until epoll says ready. That loop *is* the backpressure: a
/// writer whose client stops reading stays suspended, holding only what it tried to send.
struct ConnectionIO: Sendable {
    let socket: Socket
    let loop: EventLoop
    /// Bytes asked of the kernel per read; reads land on the stack, then in the buffer.
    static let readChunkBytes = 16 * 1024

    /// Appends at least one byte to `buffer`, waiting until `deadline` at most.
    func fill(_ buffer: inout ByteBuffer, deadline: ContinuousClock.Instant?) async throws {
        while true {
            let result = withUnsafeTemporaryAllocation(byteCount: Self.readChunkBytes, alignment: 1) { scratch -> Result<Int, SocketError> in
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
            if try result.get() > 0 { return }
            try await loop.waitReadable(socket, deadline: deadline)
        }
    }

    /// Sends every byte of `bytes`, suspending while the socket is full.
    func write(_ bytes: [UInt8]) async throws {
        var offset = 0
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
            if offset < bytes.count && sent == 0 {
                try await loop.waitWritable(socket)
            }
        }
    }
}
