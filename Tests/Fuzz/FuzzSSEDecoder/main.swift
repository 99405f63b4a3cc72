@testable import ChatBackends
import FuzzSupport

// The upstream event-stream decoder on arbitrary bytes: no crash, hang or leak, and the
// same events whether the stream arrives whole or in pieces (cut mid-line, between CR
// and LF, inside a UTF-8 sequence). A small line limit lets short inputs reach it.

private let maxLineBytes = 256

private func decode(_ pieces: [[UInt8]]) -> (events: [SSEEvent], failed: Bool) {
    var decoder = SSEDecoder(maxLineBytes: maxLineBytes)
    var events: [SSEEvent] = []
    do {
        for piece in pieces { events += try decoder.feed(piece) }
        events += try decoder.finish()
    } catch {
        return (events, true)
    }
    return (events, false)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let input = FuzzInput(data, count)
    let whole = decode([input.payload])
    let split = decode(input.pieces)
    require(whole.failed == split.failed, "whole input failed: \(whole.failed), split in \(input.pieceSize)-byte pieces: \(split.failed)")
    require(whole.events == split.events, "events differ when split in \(input.pieceSize)-byte pieces:\n\(whole.events)\n\(split.events)")
    return 0
}

runFuzzer(fuzz)
