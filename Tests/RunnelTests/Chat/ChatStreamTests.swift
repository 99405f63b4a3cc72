import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// The wire format of `POST /api/message` (README "The wire format"), read with the test's own parser.
final class ChatStreamTests: XCTestCase {
    private func assertWellFormed(_ transcript: ChatTranscript, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(transcript.response.status, 200, file: file, line: line)
        XCTAssertEqual(transcript.response.header("Content-Type"), "text/event-stream; charset=utf-8", file: file, line: line)
        XCTAssertEqual(transcript.response.header("Cache-Control"), "no-cache", file: file, line: line)
        XCTAssertEqual(transcript.response.header("X-Accel-Buffering"), "no", file: file, line: line)
        XCTAssertTrue(transcript.chunks.allSatisfy { !$0.isEmpty }, "chunks are never empty", file: file, line: line)
        let ends = transcript.events.filter { $0["end"] != nil }
        XCTAssertEqual(ends.count, 1, "exactly one end event", file: file, line: line)
        XCTAssertNotNil(transcript.events.last?["end"], "the end event is last", file: file, line: line)
        XCTAssertEqual(transcript.end?["full_response"] as? String, transcript.chunks.joined(),
                       "full_response is the concatenation of the chunks", file: file, line: line)
        let jsonEvents = transcript.events.filter { $0["json_data"] != nil }
        XCTAssertLessThanOrEqual(jsonEvents.count, 1, file: file, line: line)
        for event in transcript.events {
            XCTAssertEqual(event.count == 1 || event["end"] != nil, true, "one kind per event: \(event)", file: file, line: line)
        }
    }

    func testEchoStreamsEachWordInOrder() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "one two  three\nfour", "backend": "echo", "conversation_id": "echo-order"])
        assertWellFormed(transcript)
        XCTAssertEqual(transcript.chunks.joined(), "one two  three\nfour")
        XCTAssertGreaterThanOrEqual(transcript.chunks.count, 4)
        XCTAssertNil(transcript.jsonData, "no json_data when the reply holds no JSON")
        let end = try XCTUnwrap(transcript.end)
        XCTAssertEqual(end["backend"] as? String, "echo")
        XCTAssertEqual(end["conversation_id"] as? String, "echo-order")
        XCTAssertNotNil(end["elapsed_ms"] as? Int)
        XCTAssertNotNil(end["first_chunk_ms"] as? Int)
    }

    func testMultiByteUTF8SurvivesEverySplit() throws {
        let (_, port) = try startRunnel()
        let text = "héllo 👋🏽 世界 naïve 🇫🇷 ok"
        let transcript = try chat(port: port, ["message": text, "backend": "echo", "conversation_id": "utf8"])
        assertWellFormed(transcript)
        XCTAssertEqual(transcript.end?["full_response"] as? String, text)

        // The same bytes fed to the parser one byte at a time give the same events.
        let client = try TestClient(port: port)
        try client.postMessage(["message": text, "backend": "echo", "conversation_id": "utf8-bytes"])
        let head = try client.readResponse(bodyless: true)
        XCTAssertEqual(head.status, 200)
        let raw = try client.readChunkedBody()
        var parser = EventStreamParser()
        var pieces: [String] = []
        for byte in raw {
            for event in parser.feed([byte]) {
                let object = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
                if let chunk = object?["chunk"] as? String { pieces.append(chunk) }
            }
        }
        XCTAssertEqual(pieces.joined(), text)
    }

    func testMockReplyCarriesMarkdownCodeAndJSON() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "Tell me about streams", "conversation_id": "mock-json"])
        assertWellFormed(transcript)
        let reply = try XCTUnwrap(transcript.end?["full_response"] as? String)
        XCTAssertTrue(reply.contains("```json"))
        XCTAssertTrue(reply.contains("**") || reply.contains("#"))
        XCTAssertGreaterThan(transcript.chunks.count, 20, "streamed token by token")
        let jsonData = try XCTUnwrap(transcript.jsonData as? [String: Any], "json_data when the reply holds JSON")
        XCTAssertFalse(jsonData.isEmpty)
        let jsonIndex = try XCTUnwrap(transcript.events.firstIndex { $0["json_data"] != nil })
        let lastChunk = try XCTUnwrap(transcript.events.lastIndex { $0["chunk"] != nil })
        XCTAssertGreaterThan(jsonIndex, lastChunk, "json_data comes after the last chunk")
        XCTAssertEqual(transcript.end?["backend"] as? String, "mock")
    }

    func testTwoThousandWordReply() throws {
        let (_, port) = try startRunnel { $0.mockTokenDelayMs = 0 }
        let transcript = try chat(port: port, ["message": "/long 2000", "conversation_id": "long"])
        assertWellFormed(transcript)
        let words = (transcript.end?["full_response"] as? String ?? "").split { $0 == " " || $0 == "\n" }
        XCTAssertEqual(words.count, 2000)
    }

    func testHistoryReachesTheBackendOnTheSecondTurn() throws {
        let (app, port) = try startRunnel()
        let first = try chat(port: port, ["message": "I like otters", "conversation_id": "history"])
        assertWellFormed(first)
        let second = try chat(port: port, ["message": "What did I say?", "conversation_id": "history"])
        assertWellFormed(second)
        let reply = try XCTUnwrap(second.end?["full_response"] as? String)
        XCTAssertTrue(reply.contains("message 2"), reply)
        XCTAssertTrue(reply.contains("I like otters"), "the mock saw the first turn")
        XCTAssertEqual(app.conversations.turns(of: "history").count, 4)
    }

    func testFiftyConcurrentStreamsAreAllCorrect() throws {
        let (_, port) = try startRunnel()
        let results = Locked<[Int: String]>([:])
        let failures = Locked<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 50) { index in
            do {
                let words = (0..<30).map { "w\(index)_\($0)" }.joined(separator: " ")
                let transcript = try chat(port: port, ["message": words, "backend": "echo", "conversation_id": "c\(index)", "delay_ms": 1])
                results.withLock { $0[index] = transcript.chunks.joined() }
                if transcript.end?["full_response"] as? String != words { failures.withLock { $0.append("stream \(index) differs") } }
            } catch {
                failures.withLock { $0.append("stream \(index): \(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(results.withLock { $0.count }, 50)
    }

    func testHTTP10StreamIsCloseDelimited() throws {
        let (_, port) = try startRunnel()
        let client = try TestClient(port: port)
        let body = #"{"message":"a b","backend":"echo"}"#
        try client.send("POST /api/message HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let response = try client.readResponse()
        XCTAssertNil(response.header("Transfer-Encoding"))
        XCTAssertTrue(response.text.hasPrefix("data: {\"chunk\":\"a \"}\n\n"))
        XCTAssertTrue(response.text.contains("\"end\":true"))
    }
}

/// A value behind a lock, for tests that collect from many threads.
final class Locked<Value>: @unchecked Sendable {
    // Safe: every access goes through `lock`.
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
