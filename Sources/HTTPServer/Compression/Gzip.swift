import CSystem

/// One-shot gzip (RFC 1952) over zlib.
///
/// ```swift
/// let packed = Gzip.compress(Array("hello".utf8))
/// let bytes = try Gzip.decompress(packed)
/// ```
public enum Gzip {
    /// The gzip encoding of `bytes`, at zlib `level` (0 none … 9 smallest; 6 is zlib's balance).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = GzipStream(level: level)
        // One deflate call with Z_FINISH: no sync-flush markers in a one-shot encoding.
        return stream.deflate(bytes, flush: Z_FINISH)
    }

    /// The bytes encoded by `bytes`, a gzip (or zlib) stream; concatenated gzip members are
    /// joined as RFC 1952 asks.
    ///
    /// - Parameter maxSize: refuse to inflate past this many bytes (a guard against
    ///   decompression bombs when the input is untrusted).
    /// - Throws: `GzipError` when the input is corrupt, truncated or too large.
    public static func decompress(_ bytes: [UInt8], maxSize: Int = .max) throws(GzipError) -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer {
            inflateEnd(stream)
            stream.deallocate()
        }
        guard csystem_inflate_init_auto(stream) == Z_OK else {
            throw GzipError(message: "zlib inflateInit failed: \(zlibMessage(stream))")
        }
        var output: [UInt8] = []
        output.reserveCapacity(min(maxSize, max(256, bytes.count * 4)))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        try bytes.withUnsafeBufferPointer { input throws(GzipError) in
            var consumed = 0
            while true {
                let remaining = input.count - consumed
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + consumed })
                stream.pointee.avail_in = UInt32(min(remaining, Int(UInt32.max)))
                let before = stream.pointee.avail_in
                let status = chunk.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    return inflate(stream, Z_NO_FLUSH)
                }
                consumed += Int(before - stream.pointee.avail_in)
                let produced = chunk.count - Int(stream.pointee.avail_out)
                guard output.count + produced <= maxSize else {
                    throw GzipError(message: "gzip data inflates past \(maxSize) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
                switch status {
                case Z_STREAM_END:
                    // Another member may follow (RFC 1952 §2.2); anything else is garbage.
                    guard consumed < input.count else { return }
                    inflateReset(stream)
                case Z_OK:
                    continue
                case Z_BUF_ERROR where consumed == input.count:
                    throw GzipError(message: "gzip data is truncated")
                default:
                    throw GzipError(message: "gzip data is corrupt: \(zlibMessage(stream))")
                }
            }
        }
        return output
    }

    static func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>) -> String {
        stream.pointee.msg.map { String(cString: $0) } ?? "no detail"
    }
}

/// Why `Gzip.decompress` refused its input.
public struct GzipError: Error, CustomStringConvertible, Sendable {
    /// What was wrong, for a log line or an error response.
    public let message: String
    public var description: String { message }
}
