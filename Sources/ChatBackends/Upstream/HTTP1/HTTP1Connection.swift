import Dispatch
import Sockets
import Synchronization

/// One client connection to an upstream, registered with one event loop, which wakes
/// the task that reads or writes it (that task normally runs on the same loop).
///
/// `Sendable`: the socket and loop never change; `closed` is atomic. Reading and writing
/// are for the one task that holds the connection (taken from the pool or just opened);
/// `abort` is for anyone.
final class HTTP1Connection: Sendable {
    let socket: Socket
    let loop: EventLoop
    let upstream: HTTP1ConnectionPool.Upstream
    private let closed = Atomic<Bool>(false)

    private init(socket: Socket, loop: EventLoop, upstream: HTTP1ConnectionPool.Upstream) {
        self.socket = socket
        self.loop = loop
        self.upstream = upstream
    }

    /// Resolves `upstream` (numeric addresses at once, names on a Dispatch thread so DNS
    /// never blocks a loop) and connects to its addresses in order until one answers;
    /// throws `SocketError.timedOut` at `deadline` (the loop's timer heap keeps it, as it
    /// keeps every other wait of a socket).
    static func open(to upstream: HTTP1ConnectionPool.Upstream, on loop: EventLoop,
                     deadline: ContinuousClock.Instant? = nil) async throws -> HTTP1Connection {
        let addresses = SocketAddress.isNumeric(upstream.host)
            ? try SocketAddress.resolve(host: upstream.host, port: upstream.port)
            : try await resolveElsewhere(upstream, on: loop, deadline: deadline)
        var lastError: Error = SocketError.unresolvable(host: upstream.host, reason: "no address")
        for address in addresses {
            do {
                let socket = try await Socket.connect(to: address, on: loop, deadline: deadline)
                return HTTP1Connection(socket: socket, loop: loop, upstream: upstream)
            } catch let error as SocketError {
                if error == .timedOut { throw error }  // no time left for the next address
                lastError = error
            }
        }
        throw lastError
    }

    /// `getaddrinfo` off the loops; cancellation or `deadline` stops the wait (the lookup
    /// finishes alone).
    private static func resolveElsewhere(_ upstream: HTTP1ConnectionPool.Upstream, on loop: EventLoop,
                                         deadline: ContinuousClock.Instant?) async throws -> [SocketAddress] {
        let waiter = Locked<CheckedContinuation<[SocketAddress], Error>?>(nil)
        let timer = deadline.map { deadline in
            loop.schedule(at: deadline) { waiter.withLock { $0.take() }?.resume(throwing: SocketError.timedOut) }
        }
        defer { timer?.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter.withLock { $0 = continuation }
                DispatchQueue.global().async {
                    let result = Result { () throws(SocketError) in try SocketAddress.resolve(host: upstream.host, port: upstream.port) }
                    waiter.withLock { $0.take() }?.resume(with: result.mapError { $0 as Error })
                }
            }
        } onCancel: {
            waiter.withLock { $0.take() }?.resume(throwing: CancellationError())
        }
    }

    /// Sends what the kernel takes now; the number of bytes sent (0: the socket is full).
    func sendNow(_ bytes: ArraySlice<UInt8>) throws(SocketError) -> Int {
        let result = bytes.withUnsafeBytes { buffer -> Result<Int, SocketError> in
            do throws(SocketError) { return .success(try socket.send(buffer)) } catch .blocked { return .success(0) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Sends `bytes[offset...]`, waiting for room while the socket is full, until
    /// `deadline` at most.
    func send(_ bytes: [UInt8], from offset: Int, deadline: ContinuousClock.Instant? = nil) async throws {
        var offset = offset
        while offset < bytes.count {
            let sent = try sendNow(bytes[offset...])
            offset += sent
            if sent == 0 { try await loop.waitWritable(socket, deadline: deadline) }
        }
    }

    /// Whether a connection that sat in the pool is still usable: the peer has not hung
    /// up and sent nothing unasked (a read finds nothing to read).
    func isIdleAndOpen() -> Bool {
        guard !loop.hasHungUp(socket) else { return false }
        var byte: UInt8 = 0
        do {
            _ = try withUnsafeMutableBytes(of: &byte) { try socket.read(into: $0) }
            return false
        } catch {
            return error as? SocketError == .blocked
        }
    }

    /// Ends the connection from any thread: the peer sees it close, a waiting read wakes.
    func abort() { socket.shutdownBoth() }

    /// Closes the connection (its holder only; once).
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.onHangUp(socket, nil)
        loop.deregister(socket)
        socket.close()
    }
}
