import Foundation

/// How long an upstream call may take at each stage before it fails with
/// `upstream_timeout`.
///
/// Three separate limits because they catch different failures: `connect` a dead or
/// unreachable host, `firstByte` an upstream that accepted the request but never
/// answers (a model slow to start is normal, hence the generous default), and `idle` a
/// stream that stalls halfway through a reply.
public struct UpstreamTimeouts: Sendable, Equatable {
    /// From starting the request until it has been sent (TCP, TLS and the request itself).
    public var connect: TimeInterval
    /// From the request being sent until the response head arrives.
    public var firstByte: TimeInterval
    /// The longest silence allowed between two reads of the response.
    public var idle: TimeInterval

    /// Creates timeouts, in seconds (defaults: connect 10 s, first byte 60 s, idle 60 s).
    public init(connect: TimeInterval = 10, firstByte: TimeInterval = 60, idle: TimeInterval = 60) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
    }
}
