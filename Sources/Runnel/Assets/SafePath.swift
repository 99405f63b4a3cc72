/// Why a URL path cannot name a static file.
enum SafePathError: Error, Equatable, Sendable {
    /// Malformed or hostile beyond doubt (bad percent-encoding, NUL, backslash, `..`): 400.
    case badRequest
    /// Well-formed but never served (dotfiles, empty segments): 404, so probing for `.env`
    /// or `.git/config` learns nothing.
    case notFound
}

/// Turns the path of a request target into a path relative to a static-file root.
enum SafePath {
    /// The longest decoded path that can name a file (Linux's `PATH_MAX`); a longer one is
    /// 404 at once.
    static let maxPathBytes = 4096

    /// The relative path `fromURLPath` names, or why it names nothing servable.
    ///
    /// The query and fragment are dropped, the path is percent-decoded exactly once (so
    /// `%252e%252e` becomes the harmless file name `%2e%2e`), then split on `/`:
    /// - invalid percent-encoding, invalid UTF-8, NUL, a backslash or a `..` segment →
    ///   `.badRequest` (a `..` arriving as `%2e%2e` or `..%2f` is caught the same way,
    ///   since segments are checked after decoding);
    /// - a segment starting with `.` (dotfiles, `.git`, `.env`, a lone `.`) or an empty
    ///   segment (`//`, a trailing `/`: directories are never served) → `.notFound`;
    /// - more than ``maxPathBytes`` once decoded → `.notFound`;
    /// - `/` alone → `""`: the root is the template route, so the caller decides.
    ///
    /// ```swift
    /// SafePath.relativePath(fromURLPath: "/js/app.js?v=2")   // .success("js/app.js")
    /// SafePath.relativePath(fromURLPath: "/..%2f.env")      // .failure(.badRequest)
    /// ```
    static func relativePath(fromURLPath urlPath: String) -> Result<String, SafePathError> {
        // Every step works on the contiguous UTF-8 bytes: a request may carry a path of
        // kilobytes, and it should cost about what a short one does.
        var urlPath = urlPath
        let decoded = urlPath.withUTF8 { bytes -> [UInt8]? in
            let end = bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.endIndex
            guard end > 0, bytes[0] == UInt8(ascii: "/") else { return nil }
            return percentDecoded(UnsafeBufferPointer(rebasing: bytes[1..<end]))
        }
        guard let decoded else { return .failure(.badRequest) }
        if decoded.isEmpty { return .success("") }
        guard decoded.count <= maxPathBytes else { return .failure(.notFound) }
        guard !decoded.contains(0), !decoded.contains(UInt8(ascii: "\\")) else { return .failure(.badRequest) }
        guard let path = String(validating: decoded, as: UTF8.self) else { return .failure(.badRequest) }

        // Segments are checked as bytes: splitting the String would walk it Character by
        // Character, which made a long path cost ten times a short one.
        let segments = decoded.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if segments.contains(where: { $0.elementsEqual("..".utf8) }) { return .failure(.badRequest) }
        if segments.contains(where: { $0.isEmpty || $0.first == UInt8(ascii: ".") }) { return .failure(.notFound) }
        return .success(path)
    }

    /// `bytes` with each `%XX` replaced by its byte, or nil when a `%` is not followed by
    /// two hex digits.
    private static func percentDecoded(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                output.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            output.append(high << 4 | low)
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
