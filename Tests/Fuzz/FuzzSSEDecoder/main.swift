@testable import ChatBackends
import FuzzSupport

// The upstream event-stream decoder on arbitrary bytes: no crash, hang or leak, and the
// same events whether the stream arrives whole or in pieces (cut mid-line, between CR
// and LF, inside a UTF-8 sequence). A small line limit lets short inputs reach it.

private let maxLineBytes = 256

private func decode(_ pieces: [[UInt8]]) -> (output: [SSEEvent], failed: Bool) {
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
    requireSameResultWhenSplit(FuzzInput(data, count), decode)
    return 0
}

runFuzzer(fuzz)
