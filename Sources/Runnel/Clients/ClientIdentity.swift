import Foundation
import Synchronization
import HTTPServer

/// Who a request is from, and its id (README "Deploying"). A client is the socket's
/// peer, unless that peer is a trusted proxy (`--trusted-proxy`): then it is the address
/// the proxies reported in `X-Forwarded-For`, read from the right and past every trusted
/// hop, so a forged entry a client put first is never reached. A peer that is not trusted
/// gets no say: its `X-Forwarded-For` and `X-Request-Id` are ignored.
struct ClientIdentity: Sendable, Equatable {
    /// The client's address, canonical text (or the peer as the socket gave it).
    let client: String
    /// The request's id: the trusted proxy's, when it sent a well-formed one, else new.
    let requestID: String
    /// Whether the request came through a trusted proxy.
    let viaProxy: Bool

    /// Longest `X-Request-Id` taken from a proxy; longer ones are replaced.
    static let maxRequestIDLength = 128

    static func of(_ request: Request, trustedProxies: [CIDR]) -> ClientIdentity {
        let peer = request.peer.flatMap { IPAddress($0) }
        let viaProxy = peer.map { isTrusted($0, trustedProxies) } ?? false
        var client = peer?.description ?? request.peer ?? "-"
        var requestID: String?
        if viaProxy, let peer {
            client = forwardedClient(peer: peer, header: request.headers.values("X-Forwarded-For"), trustedProxies: trustedProxies).description
            requestID = request.headers["X-Request-Id"].flatMap { isWellFormedRequestID($0) ? $0 : nil }
        }
        return ClientIdentity(client: client, requestID: requestID ?? RequestIDs.next(), viaProxy: viaProxy)
    }

    /// The first address from the right of `X-Forwarded-For` (every field, in order) that
    /// is not a trusted proxy; an entry that is no address ends the walk at the hop before it.
    static func forwardedClient(peer: IPAddress, header values: [String], trustedProxies: [CIDR]) -> IPAddress {
        let entries = values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var current = peer
        for entry in entries.reversed() {
            guard isTrusted(current, trustedProxies), let address = IPAddress(entry) else { break }
            current = address
        }
        return current
    }

    static func isTrusted(_ address: IPAddress, _ trustedProxies: [CIDR]) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    /// 1 to ``maxRequestIDLength`` of `[A-Za-z0-9._-]` (nginx's `$request_id` is 32 hex digits).
    static func isWellFormedRequestID(_ id: String) -> Bool {
        (1...maxRequestIDLength).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "._-".utf8.contains(byte)
        }
    }
}

/// Request ids made here: 64 random bits drawn once per process, then a counter, as 32
/// hex digits. Unique without a system call per request (they name, they do not guard).
enum RequestIDs {
    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        return ReplyID.hex(generator.next())
    }()
    private static let counter = Atomic<UInt64>(0)

    static func next() -> String {
        prefix + ReplyID.hex(counter.add(1, ordering: .relaxed).newValue)
    }
}
