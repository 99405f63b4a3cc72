import Foundation
import TestSupport
import XCTest

/// The workshop flow of README "Record and replay", with the built binary: record a paced
/// reply from an upstream, restart offline on the cassettes, and get the same words at the
/// same pace.
final class RecordReplayBinaryTests: XCTestCase {
    /// When each chunk of a reply arrived, in ms from the request, and its text.
    private func timedChat(port: Int, _ message: String) throws -> [(ms: Double, text: String)] {
        let client = try TestClient(port: port)
        let start = ContinuousClock.now
        try client.postMessage(["message": message])
        let head = try client.readResponse(head: false, bodyless: true)
        XCTAssertEqual(head.status, 200)
        var chunks: [(Double, String)] = []
        var parser = EventStreamParser()
        _ = try client.readChunkedBody { bytes in
            let at = ContinuousClock.now - start
            for event in parser.feed(bytes) {
                let object = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
                if let error = object?["error"] { XCTFail("error event: \(error)") }
                if let text = object?["chunk"] as? String {
                    chunks.append((Double(at.components.seconds) * 1000 + Double(at.components.attoseconds) / 1e15, text))
                }
            }
        }
        return chunks
    }

    func testRecordThenReplayOfflineGivesTheSameWordsAtTheSamePace() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workshop-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let words = ["Streams ", "arrive ", "token ", "by ", "token."]
        func delta(_ text: String) -> String { #"data: {"model":"fake-1","choices":[{"delta":{"content":"\#(text)"}}]}"# + "\n\n" }
        // A 60 ms pause before each chunk, and 150 ms before the first.
        var steps: [FakeUpstream.Step] = [.keepAliveHead(), .waitForSignal]
        for word in words { steps += [.chunk(delta(word)), .waitForSignal] }
        steps += [.chunk("data: [DONE]\n\n"), .lastChunk]
        let upstream = try fakeUpstream(steps)
        let pacer = Thread {
            Thread.sleep(forTimeInterval: 0.15)
            for _ in 0...words.count {
                upstream.signal()
                Thread.sleep(forTimeInterval: 0.06)
            }
        }

        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OPENAI_") && !$0.key.hasPrefix("RUNNEL_") }
        environment["OPENAI_API_KEY"] = "sk-workshop-0123456789abcdef"
        let recorder = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--quiet", "--backend", "openai",
                                                     "--base-url", upstream.baseURL + "/v1", "--record", folder.path],
                                         environment: environment)
        let recordPort = try XCTUnwrap(recorder.waitForPort(), recorder.text)
        pacer.start()
        let recorded = try timedChat(port: recordPort, "Tell me how streaming works")
        XCTAssertTrue(recorder.waitFor("runnel: recorded "), recorder.text)
        _ = recorder.terminate()
        XCTAssertEqual(recorded.map(\.text), words)

        environment["OPENAI_API_KEY"] = nil  // offline: no key, no upstream
        upstream.stop()
        let player = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--quiet", "--backend", "replay",
                                                   "--replay", folder.path, "--replay-speed", "1"],
                                       environment: environment)
        defer { _ = player.terminate() }
        let replayPort = try XCTUnwrap(player.waitForPort(), player.text)
        let replayed = try timedChat(port: replayPort, "Tell me how streaming works")
        XCTAssertEqual(replayed.map(\.text), recorded.map(\.text), "the same words")
        let span = recorded.last!.ms
        // Under a sanitizer (`make test-sanitize` says which) every step runs several times
        // slower, so the pace says nothing there; the words still must match.
        let paced = ProcessInfo.processInfo.environment["RUNNEL_SANITIZER"] == nil
        for (was, now) in zip(recorded, replayed) where paced {
            XCTAssertEqual(now.ms, was.ms, accuracy: span * 0.10, "chunk \(was.text) within ±10 % of the recorded \(Int(span)) ms")
        }

        let fast = try timedChat(port: replayPort, "Tell me how streaming works")  // same cassette again
        XCTAssertEqual(fast.map(\.text), words)
    }

    func testReplayOptionsSayWhatIsWrong() throws {
        let badSpeed = try RunnelProcess(arguments: ["--replay-speed", "fast"])
        XCTAssertNotEqual(badSpeed.exitStatus(), 0)
        XCTAssertTrue(badSpeed.text.contains("--replay-speed takes a number from 0 to 1000, not 'fast'"), badSpeed.text)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)")
        let empty = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--backend", "replay", "--replay", folder.path])
        XCTAssertNotEqual(empty.exitStatus(), 0)
        XCTAssertTrue(empty.text.contains("backend 'replay' has no cassettes"), empty.text)
    }

    func testAnUnmatchedMessageIsAnErrorEventNamingTheClosestCassettes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unmatched-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let cassette = #"{"backend":"openai","events":[],"format":"runnel-cassette/1","model":"m","outcome":{"type":"completed"},"#
            + #""recorded_at":"2025-06-01T12:00:00.000Z","request":{"messages":[{"content":"Write a haiku about rain","role":"user"}]},"#
            + #""response":{"at_ms":1,"bytes_dropped":0,"frames":[{"at_ms":2,"text":"data: [DONE]\n\n"}],"headers":{},"status":200}}"#
        try Data(cassette.utf8).write(to: folder.appendingPathComponent("20250601-120000-000-write-a-haiku-about-rain.json"))
        let player = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--quiet", "--backend", "replay", "--replay", folder.path])
        defer { _ = player.terminate() }
        let port = try XCTUnwrap(player.waitForPort(), player.text)
        let transcript = try chat(port: port, ["message": "What is the capital of France?"])
        XCTAssertEqual(transcript.error?["code"] as? String, "replay_unmatched")
        let message = transcript.error?["message"] as? String ?? ""
        XCTAssertTrue(message.contains("20250601-120000-000-write-a-haiku-about-rain.json"), message)
        XCTAssertEqual(try chat(port: port, ["message": "write a haiku about RAIN"]).end?["error"] as? Bool, nil, "the same last message matches")
    }
}
