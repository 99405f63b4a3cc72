import FuzzSupport
@testable import HTTPServer

// The request parser on arbitrary bytes: it must never crash, hang or leak, and a
// stream split into pieces must parse exactly as it does whole (the parser's own promise).

private let limits = RequestHeadParser.Limits(maxRequestLine: 8 * 1024, maxHeaderBytes: 16 * 1024, maxHeaderCount: 100)

/// The events for `pieces` fed in turn, adjacent body pieces joined (their cut follows
/// the reads), and whether the parser refused the input.
private func parse(_ pieces: [[UInt8]]) -> (output: [RequestParser.Event], failed: Bool) {
    var parser = RequestParser(limits: limits)
    var buffer = ByteBuffer()
    var events: [RequestParser.Event] = []
    for piece in pieces {
        buffer.append(piece)
        do {
            while let event = try parser.next(&buffer) {
                if case .body(let more) = event, case .body(let earlier)? = events.last {
                    events[events.count - 1] = .body(earlier + more)
                } else {
                    events.append(event)
                }
            }
        } catch {
            return (events, true)
        }
    }
    return (events, false)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    requireSameResultWhenSplit(FuzzInput(data, count), parse)
    return 0
}

runFuzzer(fuzz)
