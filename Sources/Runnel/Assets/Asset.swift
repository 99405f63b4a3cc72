import HTTPServer

/// One version of a static file, ready to send: its bytes, the gzip variant and their ETags.
struct Asset: Sendable {
    /// Files smaller than this go out as they are: gzip's header and trailer eat the gain.
    static let gzipThreshold = 256

    /// The file's bytes.
    let bytes: [UInt8]
    /// The gzip encoding of `bytes`, only for compressible types of at least
    /// `gzipThreshold` bytes, and only when it is actually smaller.
    let gzipped: [UInt8]?
    /// The `Content-Type` header value.
    let contentType: String
    /// A strong ETag of `bytes` (`"<16 hex digits>"`).
    let etag: String

    /// The ETag of the gzip variant: distinct from `etag`, since the bytes differ (RFC 9110
    /// §8.8.3 asks a strong validator to change with the representation).
    var gzipETag: String { String(etag.dropLast()) + "-gz\"" }

    /// The asset for the file at `path` (its extension picks the content type) holding
    /// `bytes`; compresses at once, so build each version once and keep it.
    init(path: String, bytes: [UInt8]) {
        self.bytes = bytes
        contentType = ContentType.of(path: path)
        etag = "\"" + Self.hexHash(bytes) + "\""
        if bytes.count >= Self.gzipThreshold, ContentType.isCompressible(contentType) {
            // Level 9: each version is compressed once and then served many times.
            let packed = Gzip.compress(bytes, level: 9)
            gzipped = packed.count < bytes.count ? packed : nil
        } else {
            gzipped = nil
        }
    }

    /// FNV-1a 64 of `bytes` as 16 hex digits: fast, and collisions only matter between two
    /// versions of one file, where 64 bits make them vanishingly unlikely.
    static func hexHash(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
