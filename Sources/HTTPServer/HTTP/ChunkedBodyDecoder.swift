/// Decodes a chunked request body (RFC 9112 §7.1) incrementally: size lines in hex with
/// optional extensions, data, CRLF, a zero chunk, optional trailers, a blank line.
/// A size that overflows is a 400, one beyond the body limit a 413, both on their line.
struct ChunkedBodyDecoder {
    enum Result: Equatable {
        case data([UInt8])
        case end
    }

    /// Longest size line accepted (hex digits plus extensions), against memory abuse.
    static let maxSizeLineLength = 1024

    private enum State: Equatable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    private var state = State.size
    /// Largest body the route accepts: a size line announcing more than is left of it is
    /// refused at once (413), without waiting for the data.
    var maxBodySize = Int.max
    private var received = 0
    private var trailerFields = 0
    private var trailerBytes = 0

    mutating func next(_ buffer: inout ByteBuffer) throws(HTTPError) -> Result? {
        while true {
            switch state {
            case .size:
                guard let line = try takeLine(&buffer) else { return nil }
                let sizeField = line.prefix { $0 != .semicolon }.trimmingSpacesAndTabs()
                guard !sizeField.isEmpty else { throw .bad("invalid chunk size") }
                var size = 0
                for byte in sizeField {
                    guard let digit = byte.hexValue else { throw .bad("invalid chunk size") }
                    guard size <= Int.max >> 4 else { throw .bad("chunk size overflows") }
                    size = size << 4 | digit
                }
                guard size <= maxBodySize - received else {
                    throw HTTPError(.contentTooLarge, "request body exceeds the limit of \(maxBodySize) bytes")
                }
                received += size
                state = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                guard !buffer.isEmpty else { return nil }
                let piece = buffer.read(upTo: remaining)
                state = piece.count == remaining ? .dataEnd : .data(remaining: remaining - piece.count)
                return .data(piece)
            case .dataEnd:
                guard buffer.readableCount >= 2 else { return nil }
                let crlf = buffer.read(upTo: 2)
                guard crlf == [.cr, .lf] else { throw .bad("chunk data not followed by CRLF") }
                state = .size
            case .trailers:
                guard let line = try takeLine(&buffer) else { return nil }
                if line.isEmpty {
                    state = .size
                    return .end
                }
                try countTrailer(line)
            }
        }
    }

    /// Trailer fields are skipped, but bounded like the header section, so a client cannot
    /// keep a connection busy with an endless trailer.
    private mutating func countTrailer(_ line: [UInt8]) throws(HTTPError) {
        trailerFields += 1
        trailerBytes += line.count + 2
        if trailerFields > ServerConfiguration.maxTrailerFields {
            throw HTTPError(.headersTooLarge, "more than \(ServerConfiguration.maxTrailerFields) trailer fields")
        }
        if trailerBytes > ServerConfiguration.maxTrailerBytes {
            throw HTTPError(.headersTooLarge, "trailer section larger than \(ServerConfiguration.maxTrailerBytes) bytes")
        }
    }

    /// One CRLF-terminated line without its terminator; bare CR or LF is an error.
    private func takeLine(_ buffer: inout ByteBuffer) throws(HTTPError) -> [UInt8]? {
        let length = try buffer.withReadableBytes { bytes throws(HTTPError) -> Int? in
            for index in bytes.indices {
                if bytes[index] == .lf { throw .bad("bare LF in chunked body") }
                if bytes[index] == .cr {
                    guard index + 1 < bytes.count else { return nil }
                    guard bytes[index + 1] == .lf else { throw .bad("bare CR in chunked body") }
                    return index
                }
                if index >= Self.maxSizeLineLength { throw .bad("chunk size line too long") }
            }
            return nil
        }
        guard let length else { return nil }
        let line = buffer.read(upTo: length)
        buffer.consume(2)
        return line
    }
}

extension UInt8 {
    var hexValue: Int? {
        switch self {
        case 0x30...0x39: return Int(self - 0x30)
        case 0x41...0x46: return Int(self - 0x41 + 10)
        case 0x61...0x66: return Int(self - 0x61 + 10)
        default: return nil
        }
    }
}

extension BidirectionalCollection where Element == UInt8 {
    func trimmingSpacesAndTabs() -> SubSequence {
        let start = firstIndex { $0 != .space && $0 != .tab } ?? endIndex
        var result = self[start...]
        while let last = result.last, last == .space || last == .tab { result = result.dropLast() }
        return result
    }
}
