import FuzzSupport
@testable import HTTPServer

// The chunked body decoder on arbitrary bytes (what follows a `Transfer-Encoding:
// chunked` head): no crash, hang or leak; the same bodies however the bytes are split;
// never more body bytes out than went in.

private enum Piece: Equatable {
    case data([UInt8])
    case end
}

private func decode(_ pieces: [[UInt8]]) -> (output: [Piece], failed: Bool) {
    var decoder = ChunkedBodyDecoder()
    var buffer = ByteBuffer()
    var results: [Piece] = []
    for piece in pieces {
        buffer.append(piece)
        do {
            while let result = try decoder.next(&buffer) {
                switch result {
                case .data(let more):
                    require(!more.isEmpty, "an empty data piece")
                    if case .data(let earlier)? = results.last { results[results.count - 1] = .data(earlier + more) } else { results.append(.data(more)) }
                case .end:
                    results.append(.end)
                }
            }
        } catch {
            return (results, true)
        }
    }
    return (results, false)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = FuzzInput(data, count)
    let results = requireSameResultWhenSplit(input, decode)
    let bodyBytes = results.reduce(0) { total, piece in
        if case .data(let bytes) = piece { total + bytes.count } else { total }
    }
    require(bodyBytes <= input.payload.count, "\(bodyBytes) body bytes out of \(input.payload.count) in")
    return 0
}

runFuzzer(fuzz)
