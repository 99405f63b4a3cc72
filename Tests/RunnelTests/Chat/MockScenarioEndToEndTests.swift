import Foundation
@testable import Runnel
import Sockets
import TestSupport
import XCTest

/// The mock's scenarios over real sockets (README "Mock scenarios"): each fault as a client
/// sees it, a `--mocks` folder with a bad file, and dev mode reloading a saved file.
final class MockScenarioEndToEndTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("runnel-mocks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    private func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    }

    /// The lines the app logs, and a way to wait for one.
    private final class LogLines: Sendable {
        private let lines = Lock<[String]>([])
        private let waiters = Lock<[(String, XCTestExpectation)]>([])

        func append(_ line: String) {
            lines.withLock { $0.append(line) }
            let due = waiters.withLock { waiters in
                let due = waiters.filter { line.contains($0.0) }
                waiters.removeAll { line.contains($0.0) }
                return due
            }
            for (_, expectation) in due { expectation.fulfill() }
        }

        var all: [String] { lines.withLock { $0 } }

        /// An expectation fulfilled by the next line containing `text`.
        func expect(_ text: String) -> XCTestExpectation {
            let expectation = XCTestExpectation(description: "a log line with \(text)")
            waiters.withLock { $0.append((text, expectation)) }
            return expectation
        }
    }

    /// Runnel with `--mocks` on the test's folder, as `startRunnel` starts it, its log kept.
    private func start(log: LogLines = LogLines(), dev: SiteFixture? = nil) throws -> Int {
        var configuration = RunnelConfiguration()
        configuration.port = 0
        configuration.mocksDirectory = folder.path
        configuration.mockFirstTokenMs = 5
        configuration.mockTokenDelayMs = 1
        configuration.server.shutdownGracePeriod = .milliseconds(300)
        configuration.server.shutdownCancelGracePeriod = .milliseconds(300)
        configuration.forceEmbedded = dev == nil
        if let dev { configuration.root = dev.root.path }
        let app = try RunnelApp(configuration: configuration, environment: [:], log: { log.append($0) })
        let port = try app.start()
        stopAtTearDown(app) { await $0.shutdown() }
        return port
    }

    func testAStatusFaultAnswersTheRequestInsteadOfAStream() throws {
        try write("unauthorized.txt", "trigger: exact who am i\nfault: status 401\n")
        let port = try start()
        let refused = try chat(port: port, ["message": "who am i"])
        XCTAssertEqual(refused.response.status, 401)
        XCTAssertEqual(refused.response.header("Content-Type"), "application/json")
        XCTAssertEqual(refused.response.errorCode, "upstream_auth")
        let limited = try chat(port: port, ["message": "/429"])  // a built-in
        XCTAssertEqual(limited.response.status, 429)
        XCTAssertEqual(limited.response.errorCode, "upstream_rate_limited")
        XCTAssertEqual(limited.response.header("Retry-After"), "1")
        // Refused before the reply began: the conversation goes on as if it never came.
        let next = try chat(port: port, ["message": "hello"])
        XCTAssertEqual(next.response.status, 200)
        XCTAssertEqual(next.end?["conversation_id"] as? String, "default")
        // The provider endpoints answer with the same status.
        let provider = try exchange(port: port, "POST", "/v1/chat/completions",
                                    json: #"{"model": "mock", "stream": true, "messages": [{"role": "user", "content": "/500"}]}"#)
        XCTAssertEqual(provider.status, 500)
    }

    func testAnErrorAfterNChunks() throws {
        try write("flaky.txt", "trigger: prefix flaky\nttft_ms: 0\ntokens_per_second: 0\nfault: error after 3 upstream_timeout\n--- reply\none two three four five\n")
        let transcript = try chat(port: try start(), ["message": "flaky please"])
        XCTAssertEqual(transcript.chunks, ["one", " two", " three"])
        XCTAssertEqual(transcript.error?["code"] as? String, "upstream_timeout")
        XCTAssertEqual(transcript.end?["error"] as? Bool, true)
        XCTAssertEqual(transcript.end?["full_response"] as? String, "one two three")
    }

    func testADroppedConnectionEndsWithoutAnEndEvent() throws {
        try write("drop.txt", "trigger: exact drop me\nttft_ms: 0\ntokens_per_second: 0\nfault: drop after 2\n--- reply\nalpha beta gamma delta\n")
        let port = try start()
        let client = try TestClient(port: port)
        try client.postMessage(["message": "drop me"])
        let head = try client.readResponse(head: false, bodyless: true)
        XCTAssertEqual(head.status, 200)
        var received: [UInt8] = []
        XCTAssertThrowsError(try client.readChunkedBody { received += $0 }, "the body never ends: the connection closes mid-stream")
        XCTAssertTrue(client.waitForClose())
        let text = String(decoding: received, as: UTF8.self)
        XCTAssertEqual(text, #"data: {"chunk":"alpha"}"# + "\n\n" + #"data: {"chunk":" beta"}"# + "\n\n")
        // The server goes on: the next request is answered.
        XCTAssertEqual(try chat(port: port, ["message": "hello"]).response.status, 200)
    }

    func testTheProviderStreamsBreakTheSameWay() throws {
        try write("break.txt", "trigger: exact break\nttft_ms: 0\ntokens_per_second: 0\nfault: malformed after 1\nfault: drop after 2\n--- reply\nalpha beta gamma\n")
        let client = try TestClient(port: try start())
        let body = #"{"model": "mock", "stream": true, "messages": [{"role": "user", "content": "break"}]}"#
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let head = try client.readResponse(head: false, bodyless: true)
        XCTAssertEqual(head.status, 200)
        var received: [UInt8] = []
        XCTAssertThrowsError(try client.readChunkedBody { received += $0 }, "the body never ends: the connection closes mid-stream")
        let frames = String(decoding: received, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        let texts = frames.map { frame in frame.contains(#""content":"alpha""#) ? "alpha" : frame.contains(#""content":" beta""#) ? "beta" : frame }
        XCTAssertEqual(Array(texts.suffix(3)), ["alpha", #"data: {"chunk":"malformed"#, "beta"], "\(frames)")
        XCTAssertFalse(frames.contains("data: [DONE]"))
    }

    func testAMalformedFrameAndTheStreamGoesOn() throws {
        try write("garbled.txt", "trigger: exact garble\nttft_ms: 0\ntokens_per_second: 0\nfault: malformed after 1\n--- reply\nfirst more\n")
        let client = try TestClient(port: try start())
        try client.postMessage(["message": "garble"])
        let head = try client.readResponse(head: false, bodyless: true)
        let body = String(decoding: try client.readChunkedBody(), as: UTF8.self)
        let frames = body.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(Array(frames.prefix(3)), [#"data: {"chunk":"first"}"#, #"data: {"chunk":"malformed"#, #"data: {"chunk":" more"}"#])
        XCTAssertNil(try? JSONSerialization.jsonObject(with: Data(frames[1].dropFirst("data: ".count).utf8)), "not JSON")
        let end = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(frames.last!.dropFirst("data: ".count).utf8)) as? [String: Any])
        XCTAssertEqual(end["full_response"] as? String, "first more", "the malformed frame is no part of the reply")
    }

    func testABadFileIsReportedWithItsLineAndTheOthersAreServed() throws {
        try write("good.txt", "trigger: exact ping\nttft_ms: 0\n--- reply\npong\n")
        try write("bad.txt", "trigger: exact broken\n\nstall: at 5 for 3 seconds\n--- reply\nnever\n")
        let log = LogLines()
        let port = try start(log: log)
        XCTAssertTrue(log.all.contains { $0.hasPrefix("runnel: \(folder.path)/bad.txt:3: stall is written 'at PIECE for N ms'") }, "\(log.all)")
        XCTAssertTrue(log.all.contains("runnel: --mocks: read 1 scenario from \(folder.path)"), "\(log.all)")
        XCTAssertEqual(try chat(port: port, ["message": "ping"]).end?["full_response"] as? String, "pong")
        let fallback = try chat(port: port, ["message": "broken"])
        XCTAssertTrue((fallback.end?["full_response"] as? String ?? "").contains("broken"), "the mock's own reply")
    }

    func testAMissingFolderStopsTheStart() {
        var configuration = RunnelConfiguration()
        configuration.port = 0
        configuration.mocksDirectory = folder.appendingPathComponent("nowhere").path
        XCTAssertThrowsError(try RunnelApp(configuration: configuration, environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("--mocks"), "\(error)")
        }
    }

    func testDevModeReloadsASavedFile() throws {
        let site = try SiteFixture()
        defer { site.remove() }
        try write("weather.txt", "trigger: exact weather?\nttft_ms: 0\n--- reply\nsunny\n")
        let log = LogLines()
        let port = try start(log: log, dev: site)
        XCTAssertEqual(try chat(port: port, ["message": "weather?"]).end?["full_response"] as? String, "sunny")

        var reloaded = log.expect("reloaded 2 scenarios")
        try write("news.txt", "trigger: prefix news\nttft_ms: 0\n--- reply\nnothing new\n")
        wait(for: [reloaded], timeout: 10)
        XCTAssertEqual(try chat(port: port, ["message": "news today"]).end?["full_response"] as? String, "nothing new")

        // A mistake saved: reported with its line, and the file's scenario is left out; the other stays.
        let problem = log.expect("weather.txt:2:")
        reloaded = log.expect("reloaded 1 scenario ")
        try write("weather.txt", "trigger: exact weather?\nttft_ms: later\n--- reply\nrainy\n")
        wait(for: [problem, reloaded], timeout: 10)
        XCTAssertEqual(try chat(port: port, ["message": "news today"]).end?["full_response"] as? String, "nothing new")
        XCTAssertNotEqual(try chat(port: port, ["message": "weather?"]).end?["full_response"] as? String, "sunny")
    }
}
