import CSystem

/// A gzip encoder for a body sent in pieces (a stream of events, a chunked response).
///
/// Each `compress` ends with a zlib sync flush, so the client can decode everything sent so
/// far at once: compression never delays a streamed chunk.
///
/// ```swift
/// var gzip = GzipStream(level: 6)
/// try await writer.write(gzip.compress(firstPiece))
/// try await writer.write(gzip.compress(secondPiece))
/// try await writer.write(gzip.finish())
/// ```
public struct GzipStream: ~Copyable {
    // zlib's state points back at its z_stream and refuses to run if the z_stream moved, so
    // it lives on the heap rather than inline in this (movable) struct.
    private let stream: UnsafeMutablePointer<z_stream>
    private var finished = false

    /// A new stream at zlib `level` (0 none … 9 smallest; out-of-range levels are clamped).
    public init(level: Int32 = 6) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = csystem_deflate_init_gzip(stream, min(max(level, 0), 9))
        // Only Z_MEM_ERROR is possible with valid parameters: nothing sensible to do then.
        precondition(status == Z_OK, "zlib deflateInit failed (\(status))")
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// The compressed form of `bytes`, flushed so it decodes on its own after what came before.
    public mutating func compress(_ bytes: [UInt8]) -> [UInt8] {
        deflate(bytes, flush: Z_SYNC_FLUSH)
    }

    /// The end of the stream (the gzip trailer). Call once, last.
    public mutating func finish() -> [UInt8] {
        deflate([], flush: Z_FINISH)
    }

    mutating func deflate(_ bytes: [UInt8], flush: Int32) -> [UInt8] {
        precondition(!finished, "GzipStream used after finish()")
        if flush == Z_FINISH { finished = true }
        let stream = self.stream
        var output: [UInt8] = []
        output.reserveCapacity(Int(deflateBound(stream, UInt(bytes.count))) + 16)
        var chunk = [UInt8](repeating: 0, count: 32 * 1024)
        bytes.withUnsafeBufferPointer { input in
            var consumed = 0
            while true {
                let remaining = input.count - consumed
                let slice = min(remaining, Int(UInt32.max))
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0 + consumed })
                stream.pointee.avail_in = UInt32(slice)
                // Only the last slice of a huge input may carry the flush.
                let mode = slice == remaining ? flush : Z_NO_FLUSH
                let status = chunk.withUnsafeMutableBufferPointer { out in
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = UInt32(out.count)
                    return CSystem.deflate(stream, mode)
                }
                consumed += slice - Int(stream.pointee.avail_in)
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.pointee.avail_out))])
                // A flush is complete once deflate leaves room in the output: zlib's rule.
                let outputFull = stream.pointee.avail_out == 0
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    if consumed == input.count && !outputFull && mode == flush && flush != Z_FINISH { return }
                default:
                    preconditionFailure("zlib deflate failed (\(status)): \(Gzip.zlibMessage(stream))")
                }
            }
        }
        return output
    }
}

// The z_stream is owned by exactly one GzipStream (it is ~Copyable) and only touched through
// its mutating methods, so moving it to another task or thread is safe.
extension GzipStream: @unchecked Sendable {}
