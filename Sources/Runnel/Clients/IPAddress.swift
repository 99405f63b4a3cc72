#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as its bytes (4 or 16), parsed strictly by `inet_pton`: no
/// port, no brackets, no zone. Its ``description`` is the canonical text, so whatever a
/// header said, only a plain address reaches a log or a table key.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public private(set) var bytes: [UInt8]

    public init?(_ text: some StringProtocol) {
        let text = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 address.
        bytes = raw[..<12].elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]) ? Array(raw[12...]) : raw
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// The first address of its block of `prefixLength` bits: the bits past it cleared.
    public func masked(to prefixLength: Int) -> IPAddress {
        var masked = self
        var remaining = max(0, prefixLength)
        for index in masked.bytes.indices {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            masked.bytes[index] &= mask
            remaining = max(0, remaining - 8)
        }
        return masked
    }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var raw = bytes
        _ = inet_ntop(isIPv4 ? AF_INET : AF_INET6, &raw, &text, socklen_t(text.count))
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A block of addresses, `10.0.0.0/8` or `fd00::/8`; a bare address is the block of that
/// one address (`/32`, `/128`). Host bits past the prefix are ignored, as `ip route` does.
///
/// ```swift
/// let proxies = try CIDR(parsing: "10.0.0.0/8")
/// proxies.contains(IPAddress("10.1.2.3")!)   // true
/// ```
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `text`, or says what is wrong with it.
    public init(parsing text: String) throws(RunnelError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            throw RunnelError("'\(text)' is not an IPv4 or IPv6 address or block (like 10.0.0.0/8, 127.0.0.1 or fd00::/8)")
        }
        let bits = address.bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...bits).contains(parsed), parts[1].allSatisfy(\.isASCII) else {
                throw RunnelError("'\(text)': the prefix length after '/' must be a number from 0 to \(bits)")
            }
            length = parsed
        }
        network = address
        prefixLength = length
    }

    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(address.bytes, network.bytes) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if a & mask != b & mask { return false }
            remaining -= 8
        }
        return true
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
