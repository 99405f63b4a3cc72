import Glibc

/// A `Host` header value parsed strictly: `uri-host [ ":" port ]` (RFC 9110 §7.2), where
/// the host is an IP-literal in brackets, an IPv4 address or a reg-name and the port is
/// digits only (RFC 3986 §3.2.2–3.2.3). Anything else — `[::1]evil.com`,
/// `localhost:evil.com`, a bare `::1` — is malformed, so no two readers of one header can
/// disagree about which host it names (a lenient split is what let those through).
struct HostAuthority: Equatable {
    enum Kind: Equatable {
        /// `[` IPv6address or IPvFuture `]`.
        case ipLiteral
        /// Four dec-octets, e.g. `127.0.0.1`.
        case ipv4
        /// Any other name, e.g. `localhost`; possibly empty.
        case regName
    }

    /// The host as written, brackets kept for an IP-literal.
    let host: String
    let kind: Kind
    /// The port digits, nil without a `:` (empty after a bare `:`, which RFC 3986 allows).
    let port: Substring?

    /// Parses `value`; nil when it is not an authority of that grammar.
    init?(_ value: String) {
        let host: Substring
        let rest: Substring
        if value.utf8.first == UInt8(ascii: "[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            host = value[...close]
            rest = value[value.index(after: close)...]
            guard Self.isIPLiteral(host) else { return nil }
            kind = .ipLiteral
        } else {
            let colon = value.firstIndex(of: ":") ?? value.endIndex
            host = value[..<colon]
            rest = value[colon...]
            guard host.utf8.allSatisfy(Self.isRegNameByte), Self.hasValidPercentEncoding(host) else { return nil }
            kind = Self.isIPv4(host) ? .ipv4 : .regName
        }
        if rest.isEmpty {
            port = nil
        } else {
            guard rest.utf8.first == UInt8(ascii: ":") else { return nil }
            let digits = rest.dropFirst()
            guard digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            port = digits
        }
        self.host = String(host)
    }

    /// Whether the host names this machine's loopback interface: `localhost` and names
    /// under it (RFC 6761 §6.3), an IPv4 address in 127.0.0.0/8, or the IPv6 loopback in any
    /// spelling (`[::1]`, `[0:0::1]`). A name that merely starts with `127.` is not one.
    var isLoopback: Bool {
        switch kind {
        case .ipv4:
            return host.hasPrefix("127.")
        case .ipLiteral:
            var address = in6_addr()
            guard inet_pton(AF_INET6, String(host.dropFirst().dropLast()), &address) == 1 else { return false }
            return withUnsafeBytes(of: &address) { $0.dropLast().allSatisfy { $0 == 0 } && $0.last == 1 }
        case .regName:
            let name = host.lowercased()
            return name == "localhost" || name.hasSuffix(".localhost")
        }
    }

    /// `IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet`, where a
    /// dec-octet is 0–255 without leading zeros (so `127.0.0.01` is a reg-name, not this).
    static func isIPv4<S: StringProtocol>(_ text: S) -> Bool {
        // One pass over the bytes, no allocation: this runs on every request.
        var octets = 0, digits = 0, value = 0, leadingZero = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0 else { return false }
                octets += 1
                digits = 0
                value = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return false }
                digits += 1
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                guard digits <= 3, value <= 255 else { return false }
            } else {
                return false
            }
        }
        return octets == 3 && digits > 0
    }

    /// `"[" ( IPv6address / IPvFuture ) "]"`; IPv6 is checked by the C library's own parser
    /// (`inet_pton`, which takes exactly RFC 4291's text forms and no zone identifier).
    private static func isIPLiteral(_ literal: Substring) -> Bool {
        let inner = literal.dropFirst().dropLast()
        if let first = inner.utf8.first, first == UInt8(ascii: "v") || first == UInt8(ascii: "V") {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            let body = inner.dropFirst()
            guard let dot = body.firstIndex(of: ".") else { return false }
            let version = body[..<dot]
            let address = body[body.index(after: dot)...]
            return !version.isEmpty && version.utf8.allSatisfy(isHexDigit)
                && !address.isEmpty && address.utf8.allSatisfy { $0 == UInt8(ascii: ":") || (isRegNameByte($0) && $0 != UInt8(ascii: "%")) }
        }
        var address = in6_addr()
        return inet_pton(AF_INET6, String(inner), &address) == 1
    }

    /// unreserved / sub-delims / the `%` of pct-encoded (RFC 3986 §3.2.2 reg-name).
    private static func isRegNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~!$&'()*+,;=%".utf8.contains(byte)
        }
    }

    /// Every `%` starts `%HH`.
    private static func hasValidPercentEncoding(_ text: Substring) -> Bool {
        var bytes = text.utf8[...]
        while let percent = bytes.firstIndex(of: UInt8(ascii: "%")) {
            let digits = bytes[bytes.index(after: percent)...].prefix(2)
            guard digits.count == 2, digits.allSatisfy(isHexDigit) else { return false }
            bytes = bytes[digits.endIndex...]
        }
        return true
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): true
        default: false
        }
    }
}
