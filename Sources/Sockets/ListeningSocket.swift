#if canImport(Glibc)
import Glibc
#endif

/// A bound, listening, non-blocking TCP socket on IPv4 or IPv6.
public struct ListeningSocket: Sendable {
    public let socket: Socket
    /// The port actually bound: the kernel's choice when asked for port 0.
    public let port: Int

    /// Binds `host` (a numeric address or a name such as `localhost`) on `port`
    /// (0: any free port) with `SO_REUSEADDR`, and listens with `backlog`.
    public static func bind(host: String, port: Int, backlog: Int32 = 4096) throws(SocketError) -> ListeningSocket {
        let addresses = try SocketAddress.resolve(host: host, port: port, passive: true)

        var lastError = SocketError.failed(call: "bind", errno: EADDRNOTAVAIL)
        for address in addresses {
            let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { lastError = .fromErrno("socket"); continue }
            var on: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            if address.family == AF_INET6 {
                _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
            }
            guard address.withSockaddr({ Glibc.bind(fd, $0, $1) }) == 0 else {
                lastError = errno == EADDRINUSE ? .addressInUse(port: port) : .fromErrno("bind")
                Glibc.close(fd)
                continue
            }
            guard Glibc.listen(fd, backlog) == 0 else {
                lastError = .fromErrno("listen")
                Glibc.close(fd)
                continue
            }
            return ListeningSocket(socket: Socket(fd: fd), port: boundPort(fd))
        }
        throw lastError
    }

    private static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}
