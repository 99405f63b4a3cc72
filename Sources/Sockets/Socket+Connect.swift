#if canImport(Glibc)
import Glibc
#endif

/// The client side: a non-blocking connect through an event loop.
extension Socket {
    /// Connects to `address` without blocking the thread: starts the connect, registers
    /// the socket with `loop` (only then, since epoll reports a socket that has not begun
    /// connecting as hung up), and waits until the handshake ends. The socket comes back
    /// registered, with `TCP_NODELAY`. Task cancellation, or `deadline` (`.timedOut`), ends
    /// the wait and closes the socket.
    public static func connect(to address: SocketAddress, on loop: EventLoop,
                               deadline: ContinuousClock.Instant? = nil) async throws -> Socket {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError.fromErrno("socket") }
        let socket = Socket(fd: fd)
        let started = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        guard started == 0 || errno == EINPROGRESS else {
            let error = SocketError.failed(call: "connect", errno: errno)
            socket.close()
            throw error
        }
        do {
            try loop.register(socket)
            if started != 0 { try await loop.waitWritable(socket, deadline: deadline) }
            if let error = socket.pendingError() { throw error }
        } catch {
            loop.deregister(socket)
            socket.close()
            throw error
        }
        socket.setNoDelay()
        return socket
    }

    /// The error a non-blocking connect ended with (`SO_ERROR`), or `nil` when it succeeded.
    func pendingError() -> SocketError? {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return .fromErrno("getsockopt") }
        return code == 0 ? nil : .failed(call: "connect", errno: code)
    }

    /// Shuts both directions: the peer sees the connection end at once, and a task
    /// waiting on this socket wakes (epoll reports the hang-up). The descriptor stays
    /// open, so any thread may call this while the socket's owner still uses it; the
    /// owner closes it.
    public func shutdownBoth() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
}
