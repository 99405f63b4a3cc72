import XCTest
@testable import ChatBackends

final class SSEDecoderTests: XCTestCase {
    /// A stream with every feature: comments, event types, multi-line data, ids,
    /// fields without a space or a value, multi-byte text, and all three line endings.
    let stream = Array((
        ": keep-alive comment\r\n" +
        "event: message_start\r\n" +
        "data: {\"a\":1}\r\n" +
        "\r\n" +
        "data:no space\n" +
        "data:  two spaces\n" +
        "id: 7\n" +
        "\n" +
        "data: 日本語 🙂 é\r" +
        "data\r" +
        "retry: 100\r" +
        "\r" +
        "event: ignored because no data\n" +
        "\n" +
        "data: [DONE]\n\n"
    ).utf8)

    let expected = [
        SSEEvent(type: "message_start", data: "{\"a\":1}"),
        SSEEvent(data: "no space\n two spaces", id: "7"),
        SSEEvent(data: "日本語 🙂 é\n", id: "7"),
        SSEEvent(data: "[DONE]", id: "7"),
    ]

    func testWholeStreamAtOnce() throws {
        var decoder = SSEDecoder()
        XCTAssertEqual(try decoder.feed(stream) + decoder.finish(), expected)
    }

    func testByteByByte() throws {
        var decoder = SSEDecoder()
        var events: [SSEEvent] = []
        for byte in stream { events += try decoder.feed([byte]) }
        events += try decoder.finish()
        XCTAssertEqual(events, expected)
    }

    func testRandomSplits() throws {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<500 {
            var decoder = SSEDecoder()
            var events: [SSEEvent] = []
            var offset = 0
            while offset < stream.count {
                let length = Int.random(in: 1...12, using: &generator)
                let end = min(offset + length, stream.count)
                events += try decoder.feed(stream[offset..<end])
                offset = end
            }
            events += try decoder.finish()
            XCTAssertEqual(events, expected)
        }
    }

    func testSplitInsideAMultiByteCharacter() throws {
        let bytes = Array("data: 🙂\n\n".utf8)
        var decoder = SSEDecoder()
        XCTAssertEqual(try decoder.feed(bytes[0..<8]), [])  // "data: " plus half the emoji
        XCTAssertEqual(try decoder.feed(bytes[8...]), [SSEEvent(data: "🙂")])
    }

    func testCRLFSplitBetweenCRAndLFIsOneLineEnd() throws {
        var decoder = SSEDecoder()
        XCTAssertEqual(try decoder.feed(Array("data: a\r".utf8)), [])
        XCTAssertEqual(try decoder.feed(Array("\ndata: b\r".utf8)), [])
        XCTAssertEqual(try decoder.feed(Array("\n\r\n".utf8)), [SSEEvent(data: "a\nb")])
    }

    func testLeadingByteOrderMarkIsIgnored() throws {
        var decoder = SSEDecoder()
        XCTAssertEqual(try decoder.feed([0xEF, 0xBB, 0xBF] + Array("data: x\n\n".utf8)), [SSEEvent(data: "x")])
    }

    func testUnterminatedLastEventIsKeptAtFinish() throws {
        var decoder = SSEDecoder()
        XCTAssertEqual(try decoder.feed(Array("data: tail".utf8)), [])
        XCTAssertEqual(try decoder.finish(), [SSEEvent(data: "tail")])
    }

    func testEventsBeforeAnOverlongLineGetThroughHoweverTheStreamIsSplit() throws {
        // Found by the fuzzer (Tests/Fuzz/FuzzSSEDecoder): fed whole, the event completed
        // before the over-long line was lost with the error; fed in pieces, it was not.
        let stream = Array("data: first\n\ndata: ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 40)
        var whole = SSEDecoder(maxLineBytes: 16)
        XCTAssertEqual(try whole.feed(stream), [SSEEvent(data: "first")])
        XCTAssertThrowsError(try whole.finish()) { XCTAssertEqual(($0 as? ChatBackendError)?.code, .upstreamProtocol) }
        var split = SSEDecoder(maxLineBytes: 16)
        XCTAssertEqual(try split.feed(stream[..<14]), [SSEEvent(data: "first")])
        XCTAssertThrowsError(try split.feed(stream[14...])) { XCTAssertEqual(($0 as? ChatBackendError)?.code, .upstreamProtocol) }
        XCTAssertThrowsError(try split.feed([0x0A]), "the failure sticks")
    }

    func testLentEventsStopWhenTheHandlerSaysSo() throws {
        var decoder = SSEDecoder()
        var seen: [SSEEvent] = []
        let goOn = try Array("data: a\n\ndata: b\n\ndata: c\n\n".utf8).withUnsafeBytes { bytes in
            try decoder.feed(bytes) { event in
                seen.append(event.event)
                return event.text != "b"
            }
        }
        XCTAssertFalse(goOn)
        XCTAssertEqual(seen, [SSEEvent(data: "a"), SSEEvent(data: "b")])
    }

    func testOverlongLineIsAProtocolError() {
        var decoder = SSEDecoder(maxLineBytes: 16)
        XCTAssertThrowsError(try decoder.feed(Array(repeating: UInt8(ascii: "x"), count: 17))) { error in
            XCTAssertEqual((error as? ChatBackendError)?.code, .upstreamProtocol)
        }
    }
}

/// A small seeded generator, so random-split tests fail reproducibly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
