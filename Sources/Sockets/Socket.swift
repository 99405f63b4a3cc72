import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// A non-blocking stream socket: a file descriptor and the syscalls on it, each mapping
/// errno to a ``SocketError``. It holds no buffer and knows nothing of HTTP.
public struct Socket: Sendable, Hashable {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    /// Reads into `buffer`; `.disconnected` on end of stream (the count is checked before
    /// errno, so a closed peer never looks like "try again").
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(SocketError) -> Int {
        let count = Glibc.recv(fd, buffer.baseAddress, buffer.count, 0)
        if count > 0 { return count }
        if count == 0 { throw .disconnected }
        throw SocketError.fromErrno("recv")
    }

    /// Sends as much as the kernel takes now; `MSG_NOSIGNAL` so a closed peer is an error,
    /// never a SIGPIPE.
    public func send(_ buffer: UnsafeRawBufferPointer) throws(SocketError) -> Int {
        let count = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        if count >= 0 { return count }
        throw SocketError.fromErrno("send")
    }

    /// Accepts one pending connection as a non-blocking socket; `.blocked` when none waits.
    public func accept() throws(SocketError) -> Socket {
        let client = csystem_accept_nonblocking(fd)
        if client >= 0 { return Socket(fd: client) }
        throw SocketError.fromErrno("accept4")
    }

    /// Stops the kernel from delaying small writes (each SSE event must leave at once).
    public func setNoDelay() {
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Caps the kernel send buffer, bounding what a client that stops reading can hold.
    public func setSendBufferSize(_ bytes: Int) {
        var size = Int32(bytes)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Half-closes the write side so the peer sees end of stream after the last byte.
    public func shutdownWrite() { _ = Glibc.shutdown(fd, Int32(SHUT_WR)) }

    public func close() { _ = Glibc.close(fd) }

    /// Closes with a reset (`SO_LINGER` 0): what is still queued for the peer is dropped
    /// at once rather than kept by the kernel for a peer that takes nothing.
    public func closeWithReset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        _ = Glibc.close(fd)
    }
}
