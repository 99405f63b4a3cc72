/// One fuzzer input, read the way every target reads it: the first byte picks a piece
/// size (1–16), the rest is the payload. A target feeds the payload whole and again in
/// pieces of that size; an incremental decoder must give the same answer either way
/// (network reads split a stream anywhere), so one corpus entry tests both.
public struct FuzzInput {
    public let payload: [UInt8]
    public let pieceSize: Int

    public init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
        let bytes = count > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: count)) : []
        pieceSize = Int(bytes.first ?? 0) % 16 + 1
        payload = Array(bytes.dropFirst())
    }

    /// The payload in pieces of `pieceSize` bytes (the last one shorter).
    public var pieces: [[UInt8]] {
        stride(from: 0, to: payload.count, by: pieceSize).map { Array(payload[$0..<min($0 + pieceSize, payload.count)]) }
    }
}

/// Stops the fuzzer with `message` when an invariant fails. `fatalError` rather than
/// `precondition`, whose message an optimised build drops.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

/// Decodes the payload whole and again in pieces with a fresh decoder each time, and
/// requires the same output and the same verdict; returns the whole-input output.
/// `decode` feeds the pieces in turn and says what came out and whether it was refused.
@discardableResult
public func requireSameResultWhenSplit<Output: Equatable>(
    _ input: FuzzInput, _ decode: ([[UInt8]]) -> (output: Output, failed: Bool)
) -> Output {
    let whole = decode([input.payload])
    let split = decode(input.pieces)
    require(whole.failed == split.failed, "whole input failed: \(whole.failed), split in \(input.pieceSize)-byte pieces: \(split.failed)")
    require(whole.output == split.output, "output differs when split in \(input.pieceSize)-byte pieces:\n\(whole.output)\n\(split.output)")
    return whole.output
}
