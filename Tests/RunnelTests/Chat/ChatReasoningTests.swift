import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// Reasoning on `POST /api/message` (README "The wire format"): `thinking` events while
/// the model reasons, and the `end` event's `thinking` and `finish_reason`.
final class ChatReasoningTests: XCTestCase {
    func testThinkingEventsComeFirstAndTheEndCarriesThemWhole() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "/think what is a stream?", "conversation_id": "think"])
        XCTAssertEqual(transcript.response.status, 200)
        let thinking = transcript.thinking
        XCTAssertFalse(thinking.isEmpty)
        XCTAssertTrue(thinking.allSatisfy { !$0.isEmpty })
        let firstChunk = try XCTUnwrap(transcript.events.firstIndex { $0["chunk"] != nil })
        let lastThinking = try XCTUnwrap(transcript.events.lastIndex { $0["thinking"] != nil && $0["end"] == nil })
        XCTAssertLessThan(lastThinking, firstChunk, "the mock reasons before it answers")
        for event in transcript.events {
            XCTAssertTrue(event.count == 1 || event["end"] != nil, "one kind per event: \(event)")
        }
        let end = try XCTUnwrap(transcript.end)
        XCTAssertEqual(end["thinking"] as? String, thinking.joined())
        XCTAssertEqual(end["finish_reason"] as? String, "stop")
        XCTAssertEqual(end["full_response"] as? String, transcript.chunks.joined())
        let usage = try XCTUnwrap(end["usage"] as? [String: Any])
        XCTAssertEqual(usage["reasoning_tokens"] as? Int, thinking.count)
    }

    /// The seed article's client: split the body on blank lines, parse what follows
    /// `data: ` as JSON, print `chunk`s and stop at `end`. A reasoning reply must not
    /// trip it up: it sees the same chunks and the same end.
    func testTheSeedClientStillReadsAReasoningReply() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "Why do streams need backpressure?", "conversation_id": "seed"])
        let text = String(decoding: transcript.raw, as: UTF8.self)
        var printed = ""
        var sawEnd = false
        for block in text.components(separatedBy: "\n\n") where block.hasPrefix("data: ") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(block.dropFirst(6).utf8)) as? [String: Any])
            if let chunk = object["chunk"] as? String { printed += chunk }
            if object["end"] as? Bool == true { sawEnd = true }
        }
        XCTAssertTrue(sawEnd)
        XCTAssertFalse(transcript.thinking.isEmpty, "a why-question makes the mock think")
        XCTAssertEqual(printed, transcript.end?["full_response"] as? String)
    }

    /// A reply without reasoning looks as it always did: no new fields in its `end`.
    func testAReplyWithoutReasoningHasNoNewFields() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "one two", "backend": "echo", "conversation_id": "plain"])
        let end = try XCTUnwrap(transcript.end)
        XCTAssertNil(end["thinking"])
        XCTAssertNil(end["finish_reason"])
        XCTAssertEqual(Set(end.keys), ["end", "full_response", "backend", "model", "conversation_id", "first_chunk_ms", "elapsed_ms"])
    }

    /// Reasoning fills the log like text does: a long think is cut at the cap too.
    func testReasoningCountsAgainstTheReplyCap() throws {
        let (_, port) = try startRunnel { $0.replies.maxBytes = 2600 }
        let transcript = try chat(port: port, ["message": "/think " + String(repeating: "long words here ", count: 10), "conversation_id": "cap"])
        XCTAssertEqual(transcript.error?["code"] as? String, "reply_too_large")
        XCTAssertLessThanOrEqual(transcript.raw.count, 2600)
        XCTAssertEqual(transcript.end?["thinking"] as? String, transcript.thinking.joined())
    }
}

extension ChatTranscript {
    /// The `thinking` events' texts, in order.
    var thinking: [String] { events.filter { $0["end"] == nil }.compactMap { $0["thinking"] as? String } }
}
