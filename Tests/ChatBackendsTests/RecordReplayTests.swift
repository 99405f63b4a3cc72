import Foundation
import TestSupport
import XCTest
@testable import ChatBackends

/// Record (`RecordingBackend`, `ExchangeTrace`, `Cassette`), then replay (`ReplayBackend`).
final class RecordReplayTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cassettes-\(UUID().uuidString)")
        addTeardownBlock { [folder] in try? FileManager.default.removeItem(at: folder!) }
    }

    private func openAIChunk(_ content: String) -> String {
        #"{"id":"c1","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":\#(MockText.jsonString(content))},"finish_reason":null}]}"#
    }

    /// A reply paced by the fake upstream: a chunk every `gapMs`.
    private func pacedOpenAI(_ words: [String], gapMs: Int) -> [FakeUpstream.Step] {
        var steps: [FakeUpstream.Step] = [.keepAliveHead()]
        for word in words {
            steps.append(.chunk(sse([openAIChunk(word)])))
            steps.append(.waitForSignal)
        }
        steps.append(.chunk(sse([#"{"id":"c1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3}}"#, "[DONE]"])))
        steps.append(.lastChunk)
        return steps
    }

    private func recordOnce(_ server: FakeUpstream, message: String, pace: Duration? = nil, key: String = testKey) async throws -> (CollectedStream, URL) {
        let shelf = CassetteShelf(directory: folder)
        let backend = RecordingBackend(OpenAIBackend(settings: ProviderSettings(apiKey: key, baseURL: server.baseURL + "/v1", model: "gpt-4o-mini")), shelf: shelf)
        let saved = expectation(description: "cassette written")
        let trace = ExchangeTrace()
        trace.onFinish { _ in saved.fulfill() }
        let stream = trace.stream(backend, request(message))
        var pacer: Task<Void, Never>?
        if let pace {
            pacer = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: pace)
                    server.signal()
                }
            }
        }
        let result = await collect(stream)
        pacer?.cancel()
        await fulfillment(of: [saved], timeout: 5)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        return (result, try XCTUnwrap(files.first))
    }

    func testRecordedThenReplayedStreamIsEventForEventTheSame() async throws {
        let server = try fakeUpstream(pacedOpenAI(["Hello", " streaming", " world"], gapMs: 40))
        let (recorded, file) = try await recordOnce(server, message: "Say hello to the streaming world", pace: .milliseconds(40))
        XCTAssertNil(recorded.error)
        XCTAssertEqual(recorded.text, "Hello streaming world")
        XCTAssertTrue(file.lastPathComponent.hasSuffix("-say-hello-to-the-streaming-world.json"), file.lastPathComponent)

        let cassette = try Cassette.decode(Data(contentsOf: file))
        XCTAssertEqual(cassette.backend, "openai")
        XCTAssertEqual(cassette.events.compactMap(\.chatEvent), recorded.events)
        XCTAssertEqual(cassette.outcome, Cassette.Outcome(type: "completed"))
        XCTAssertEqual(cassette.response?.status, 200)
        let frames = try XCTUnwrap(cassette.response?.frames)
        XCTAssertGreaterThanOrEqual(frames.count, 3)
        XCTAssertGreaterThan(frames.last!.atMs - frames.first!.atMs, 60, "the recorded times are the upstream's pace")

        let (stored, problems) = CassetteShelf(directory: folder).load()
        XCTAssertEqual(problems, [])
        for speed in [0.0, 1.0] {
            let start = ContinuousClock.now
            let replayed = await collect(ReplayBackend(cassettes: stored, speed: speed).stream(request("Say hello to the streaming world")))
            XCTAssertNil(replayed.error)
            XCTAssertEqual(replayed.events, recorded.events, "speed \(speed)")
            let took = millisecondsSince(start)
            if speed == 0 { XCTAssertLessThan(took, 60) } else { XCTAssertGreaterThan(took, frames.last!.atMs * 0.9) }
        }
    }

    func testNoKeyReachesTheCassette() async throws {
        let key = "sk-proj-ZQ7secretKEYvalue0123456789"
        let other = "zq7plainsecret-abcdefgh"  // not key-shaped: found because it is the configured key
        let body = sse([openAIChunk("echo \(key)"), "[DONE]"])
        let server = try fakeUpstream([.head(), .text(body)])
        let trace = ExchangeTrace()
        let done = expectation(description: "finished")
        trace.onFinish { _ in done.fulfill() }
        // Every header, the URL's query and the body carry a key.
        let call = RemoteCall(label: "openai", url: URL(string: server.baseURL + "/v1/chat/completions?key=\(key)")!,
                              json: Data(#"{"messages":[{"role":"user","content":"my key is \#(key) and \#(other)"}]}"#.utf8),
                              headers: ["Authorization": "Bearer \(other)", "X-Api-Key": key, "X-Custom": "token \(key)",
                                        "Cookie": "session=\(other)", "X-Other": other, "User-Agent": key],
                              timeouts: UpstreamTimeouts(connect: 5, firstByte: 5, idle: 5), secrets: [other])
        let backend = FixedCallBackend(call: call)
        let result = await collect(trace.stream(backend, request("my key is \(key) and \(other)")))
        XCTAssertNil(result.error)
        await fulfillment(of: [done], timeout: 5)
        let file = try CassetteShelf(directory: folder).save(Cassette(trace.snapshot))
        let text = try String(contentsOf: file, encoding: .utf8)
        XCTAssertFalse(text.contains("ZQ7secret"), text)
        XCTAssertFalse(text.contains("zq7plainsecret"), text)
        XCTAssertTrue(text.contains("[redacted]"))
        let sent = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(sent.headers["x-custom"], "token \(key)", "the upstream itself got the real request")
    }

    func testMatchingFallsBackThenNamesTheClosest() throws {
        func stored(_ name: String, _ messages: [ChatMessage]) -> CassetteShelf.Stored {
            var snapshot = ExchangeTrace.Snapshot()
            snapshot.backend = "openai"
            snapshot.messages = messages
            snapshot.outcome = .completed
            return CassetteShelf.Stored(name: name, cassette: Cassette(snapshot))
        }
        let hi = ChatMessage(role: .user, content: "Hi")
        let matcher = CassetteMatcher([
            stored("a.json", [ChatMessage(role: .user, content: "Explain server sent events briefly")]),
            stored("b.json", [hi, ChatMessage(role: .assistant, content: "Hello"), ChatMessage(role: .user, content: "Explain server sent events briefly")]),
            stored("c.json", [ChatMessage(role: .user, content: "Write a haiku about rain")]),
        ])
        func rule(_ request: ChatRequest) -> String? {
            if case .success(let (stored, rule)) = matcher.match(request) { return "\(stored.name) \(rule.rawValue)" }
            return nil
        }
        XCTAssertEqual(rule(request("Explain server sent events briefly")), "a.json exact")
        XCTAssertEqual(rule(request("explain  Server sent events briefly", history: [hi])), "b.json last-message")
        XCTAssertEqual(rule(request("Please explain server sent events")), "b.json closest")
        guard case .failure(let error) = matcher.match(request("What is the capital of France?")) else { return XCTFail("matched") }
        XCTAssertEqual(error.code, .replayUnmatched)
        XCTAssertTrue(error.message.contains("a.json") && error.message.contains("c.json"), error.message)
    }

    func testReplayOfARecordedFailureFailsTheSameWay() async throws {
        let server = try fakeUpstream([.head(status: 429, reason: "Too Many Requests", contentType: "application/json"),
                                       .text(#"{"error":{"message":"Rate limit reached","type":"rate_limit"}}"#)])
        let (recorded, _) = try await recordOnce(server, message: "hello there")
        let recordedError = try XCTUnwrap(recorded.backendError)
        let (stored, _) = CassetteShelf(directory: folder).load()
        let replayed = await collect(ReplayBackend(cassettes: stored, speed: 0).stream(request("hello there")))
        XCTAssertEqual(replayed.backendError, recordedError)
    }

    func testFileNamesAreTimeAndFirstWords() {
        XCTAssertEqual(CassetteShelf.slug("  Écris-moi un *poème* sur la pluie, s'il te plaît!"), "ecris-moi-un-poeme-sur-la")
        XCTAssertEqual(CassetteShelf.slug("🙂"), "")
        let stem = CassetteShelf.fileStem(date: Date(timeIntervalSince1970: 0), message: "Hello world")
        XCTAssertEqual(stem, "19700101-000000-000-hello-world")
    }
}

/// A remote backend whose call the test writes itself.
private struct FixedCallBackend: ChatBackend {
    let call: RemoteCall
    let name = "openai"
    let model = "gpt-4o-mini"
    let kind = "remote"
    func stream(_ request: ChatRequest) -> ChatEvents {
        RemoteCall.stream(label: name, call: { [call] in call }) { OpenAIStreamInterpreter(label: $0, secrets: $1) }
    }
}
