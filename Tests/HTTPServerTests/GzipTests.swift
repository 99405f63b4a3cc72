import XCTest
import CSystem
@testable import HTTPServer

final class GzipTests: XCTestCase {
    private let text = Array(String(repeating: "body { color: #333; margin: 0 auto; }\n", count: 200).utf8)

    func testRoundTripShrinksRepetitiveText() throws {
        let packed = Gzip.compress(text)
        XCTAssertLessThan(packed.count, text.count / 10)
        XCTAssertEqual(Array(packed.prefix(2)), [0x1f, 0x8b], "gzip magic")
        XCTAssertEqual(try Gzip.decompress(packed), text)
    }

    func testEmptyAndBinaryInputsRoundTrip() throws {
        XCTAssertEqual(try Gzip.decompress(Gzip.compress([])), [])
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(noise, level: 1)), noise)
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(noise, level: 9)), noise)
    }

    func testOutputIsReadableByZlibGunzip() throws {
        // Decoded by zlib's own stream API rather than our decompress, so a bug shared by
        // both directions cannot hide.
        let packed = Gzip.compress(text)
        var stream = z_stream()
        XCTAssertEqual(csystem_inflate_init_auto(&stream), Z_OK)
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: text.count + 1)
        var input = packed
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        XCTAssertEqual(status, Z_STREAM_END)
        XCTAssertEqual(Array(output.prefix(Int(stream.total_out))), text)
    }

    func testConcatenatedMembersDecodeAsOne() throws {
        let joined = Gzip.compress(Array("hello ".utf8)) + Gzip.compress(Array("world".utf8))
        XCTAssertEqual(String(decoding: try Gzip.decompress(joined), as: UTF8.self), "hello world")
    }

    func testCorruptTruncatedAndOversizedInputsThrow() {
        let packed = Gzip.compress(text)
        XCTAssertThrowsError(try Gzip.decompress(Array(packed.dropLast(12))))
        var corrupt = packed
        corrupt[20] ^= 0xff
        XCTAssertThrowsError(try Gzip.decompress(corrupt))
        XCTAssertThrowsError(try Gzip.decompress(Array("not gzip at all".utf8)))
        XCTAssertThrowsError(try Gzip.decompress(packed + [1, 2, 3]), "garbage after the member")
        XCTAssertThrowsError(try Gzip.decompress(packed, maxSize: text.count - 1))
        XCTAssertEqual(try Gzip.decompress(packed, maxSize: text.count), text)
    }

    func testStreamPiecesDecodeAsSoonAsTheyArrive() throws {
        var gzip = GzipStream(level: 6)
        var sent: [UInt8] = []
        var expected: [UInt8] = []
        for index in 0..<5 {
            let piece = Array("data: {\"chunk\": \"piece \(index)\"}\n\n".utf8)
            expected += piece
            sent += gzip.compress(piece)
            // Everything sent so far decodes to everything written so far: nothing held back.
            XCTAssertEqual(try inflatePrefix(sent), expected, "after piece \(index)")
        }
        sent += gzip.compress([])
        sent += gzip.finish()
        XCTAssertEqual(try Gzip.decompress(sent), expected)
    }

    func testStreamWithLargePiecesAndNoPiecesFinishes() throws {
        var gzip = GzipStream(level: 6)
        let large = text + text + text
        let sent = gzip.compress(large) + gzip.compress(large) + gzip.finish()
        XCTAssertEqual(try Gzip.decompress(sent), large + large)

        var empty = GzipStream()
        XCTAssertEqual(try Gzip.decompress(empty.finish()), [])
    }

    /// Inflates a stream that has not ended yet, returning what it decodes to so far.
    private func inflatePrefix(_ bytes: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        XCTAssertEqual(csystem_inflate_init_auto(&stream), Z_OK)
        defer { inflateEnd(&stream) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: 1 << 20)
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                return inflate(&stream, Z_SYNC_FLUSH)
            }
        }
        XCTAssertTrue(status == Z_OK || status == Z_BUF_ERROR, "inflate status \(status)")
        XCTAssertEqual(stream.avail_in, 0, "all input consumed")
        return Array(output.prefix(Int(stream.total_out)))
    }
}
