#if canImport(Glibc)
import Glibc
#endif

/// A failed socket call, with errno mapped to the cases callers act on.
public enum SocketError: Error, Equatable, CustomStringConvertible {
    /// The call would block: wait for readiness and try again.
    case blocked
    /// The peer closed the connection (read returned 0, EPIPE, ECONNRESET).
    case disconnected
    /// A readiness wait passed its deadline.
    case timedOut
    /// The socket was closed or deregistered while a task waited on it.
    case closed
    /// The address is already in use (bind).
    case addressInUse(port: Int)
    /// A host name the resolver could not turn into an address (`getaddrinfo`).
    case unresolvable(host: String, reason: String)
    /// Any other failure: the call's name and errno.
    case failed(call: String, errno: Int32)

    /// Maps the current `errno` after `call` failed.
    static func fromErrno(_ call: String, _ code: Int32 = errno) -> SocketError {
        switch code {
        case EAGAIN, EWOULDBLOCK: return .blocked
        case EPIPE, ECONNRESET, ENOTCONN: return .disconnected
        default: return .failed(call: call, errno: code)
        }
    }

    public var description: String {
        switch self {
        case .blocked: return "operation would block"
        case .disconnected: return "peer disconnected"
        case .timedOut: return "timed out"
        case .closed: return "socket closed"
        case .addressInUse(let port): return "port \(port) in use"
        case .unresolvable(let host, let reason): return "cannot resolve \(host): \(reason)"
        case .failed(let call, let code): return "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
