import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// `GET /metrics`, read by the Prometheus client's own parser (`prometheus_client` in
/// `.build/venv`, which `make deps-test` installs).
final class MetricsTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private static let python = repository.appendingPathComponent(".build/venv/bin/python")

    /// Parses `text` with `prometheus_client.parser.text_string_to_metric_families`; every
    /// sample as `name{label=value,…}` (labels sorted) → value.
    private func parse(_ text: String) throws -> [String: Double] {
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            throw XCTSkip("no \(Self.python.path): run `make deps-test` (it installs prometheus_client there)")
        }
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                    out[f"{s.name}{{{labels}}}"] = s.value
            print(json.dumps(out))
            """
        let process = Process()
        process.executableURL = Self.python
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let failure = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "the parser refused the text: \(failure)\n\(text)")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Double])
    }

    func testTheExpositionParsesAndCountsReplies() throws {
        let (_, port) = try startRunnel()
        XCTAssertEqual(try chat(port: port, ["message": "hello"]).response.status, 200)
        XCTAssertEqual(try chat(port: port, ["message": "again", "conversation_id": "c2"]).response.status, 200)
        XCTAssertNotNil(try chat(port: port, ["message": "/error", "conversation_id": "c3"]).error)
        XCTAssertEqual(try chat(port: port, ["message": "two words", "backend": "echo"]).response.status, 200)

        // The chats' connections close as the server notices their clients left: scrape
        // until only the scrape's own is open (for 5 s at most).
        var response = try exchange(port: port, "GET", "/metrics")
        var samples = try parse(response.text)
        let deadline = ContinuousClock.now + .seconds(5)
        while samples["runnel_open_connections{}"] != 1 && ContinuousClock.now < deadline {
            response = try exchange(port: port, "GET", "/metrics")
            samples = try parse(response.text)
        }
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8")

        XCTAssertEqual(samples["runnel_replies_total{backend=mock,format=runnel,outcome=completed}"], 2)
        XCTAssertEqual(samples["runnel_replies_total{backend=mock,format=runnel,outcome=failed}"], 1)
        XCTAssertEqual(samples["runnel_replies_total{backend=echo,format=runnel,outcome=completed}"], 1)
        XCTAssertEqual(samples["runnel_upstream_errors_total{backend=mock,code=upstream_unavailable,format=runnel}"], 1)
        XCTAssertEqual(samples["runnel_replies_in_flight{}"], 0)
        XCTAssertEqual(samples["runnel_open_connections{}"], 1, "the scrape's own")
        XCTAssertGreaterThan(samples["runnel_output_tokens_total{backend=mock,format=runnel}"] ?? 0, 0)
        XCTAssertGreaterThan(samples["runnel_sent_bytes_total{}"] ?? 0, 1000)
        XCTAssertEqual(samples["runnel_reply_duration_seconds_count{backend=mock,format=runnel}"], 3)
        XCTAssertEqual(samples["runnel_reply_duration_seconds_bucket{backend=mock,format=runnel,le=+Inf}"], 3)
        XCTAssertEqual(samples["runnel_reply_first_chunk_seconds_count{backend=mock,format=runnel}"], 2, "the failed reply had no chunk")
        XCTAssertNotNil(samples["runnel_reply_first_chunk_seconds_bucket{backend=mock,format=runnel,le=0.05}"])
        XCTAssertGreaterThan(samples["runnel_reply_duration_seconds_sum{backend=echo,format=runnel}"] ?? -1, 0)
    }

    /// Replies of the provider endpoints count as those of `/api/message` do, labelled
    /// with their format: streamed or whole, failed, and broken off by their client.
    func testProviderEndpointRepliesAreCountedByFormat() throws {
        let (_, port) = try startRunnel()
        let openAI = try exchange(port: port, "POST", "/v1/chat/completions",
                                  json: #"{"model":"mock","stream":true,"messages":[{"role":"user","content":"/think hello"}]}"#)
        XCTAssertEqual(openAI.status, 200)
        XCTAssertTrue(openAI.text.contains("data: [DONE]"), openAI.text)
        let anthropic = try exchange(port: port, "POST", "/v1/messages",
                                     json: #"{"model":"mock","max_tokens":10,"messages":[{"role":"user","content":"two words"}]}"#)
        XCTAssertEqual(anthropic.status, 200)
        let failed = try exchange(port: port, "POST", "/v1beta/models/mock:generateContent", json: #"{"contents":[{"parts":[{"text":"/error"}]}]}"#)
        XCTAssertEqual(failed.status, 503)
        XCTAssertEqual(try exchange(port: port, "POST", "/v1beta/models/nope:generateContent", json: #"{"contents":[{"parts":[{"text":"hi"}]}]}"#).status,
                       404, "no reply: not counted")
        // A client that leaves mid-stream: its reply is interrupted.
        let leaving = try TestClient(port: port)
        let body = #"{"model":"mock","stream":true,"messages":[{"role":"user","content":"/slow /long 3000"}]}"#
        try leaving.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertEqual(try leaving.readResponse(bodyless: true).status, 200)
        _ = try leaving.receiveSome()
        leaving.abort()

        // The interrupted reply is counted once the server notices its client left: scrape
        // until it is (for 5 s at most).
        var samples = try parse(try exchange(port: port, "GET", "/metrics").text)
        let deadline = ContinuousClock.now + .seconds(5)
        while samples["runnel_replies_total{backend=mock,format=openai,outcome=interrupted}"] == nil && ContinuousClock.now < deadline {
            samples = try parse(try exchange(port: port, "GET", "/metrics").text)
        }
        XCTAssertEqual(samples["runnel_replies_total{backend=mock,format=openai,outcome=completed}"], 1)
        XCTAssertEqual(samples["runnel_replies_total{backend=mock,format=openai,outcome=interrupted}"], 1)
        XCTAssertEqual(samples["runnel_replies_total{backend=mock,format=anthropic,outcome=completed}"], 1)
        XCTAssertEqual(samples["runnel_replies_total{backend=mock,format=gemini,outcome=failed}"], 1)
        XCTAssertEqual(samples["runnel_upstream_errors_total{backend=mock,code=upstream_unavailable,format=gemini}"], 1)
        XCTAssertNil(samples["runnel_replies_total{backend=mock,format=runnel,outcome=completed}"], "nothing came through /api/message")
        XCTAssertEqual(samples["runnel_replies_in_flight{}"], 0)
        XCTAssertGreaterThan(samples["runnel_output_tokens_total{backend=mock,format=openai}"] ?? 0, 0)
        XCTAssertGreaterThan(samples["runnel_output_tokens_total{backend=mock,format=anthropic}"] ?? 0, 0)
        XCTAssertEqual(samples["runnel_reply_first_chunk_seconds_count{backend=mock,format=openai}"], 2)
        XCTAssertEqual(samples["runnel_reply_first_chunk_seconds_count{backend=mock,format=anthropic}"], 1)
        XCTAssertNil(samples["runnel_reply_first_chunk_seconds_count{backend=mock,format=gemini}"], "the failed reply had no chunk")
        XCTAssertEqual(samples["runnel_reply_duration_seconds_count{backend=mock,format=gemini}"], 1)
        XCTAssertEqual(samples["runnel_reply_duration_seconds_bucket{backend=mock,format=openai,le=+Inf}"], 2)
    }

    func testAReplyInFlightIsCounted() throws {
        let (_, port) = try startRunnel()
        let client = try TestClient(port: port)
        try client.postMessage(["message": "/hang"])
        XCTAssertEqual(try client.readResponse(bodyless: true).status, 200)
        let samples = try parse(try exchange(port: port, "GET", "/metrics").text)
        XCTAssertEqual(samples["runnel_replies_in_flight{}"], 1)
        XCTAssertEqual(samples["runnel_open_connections{}"], 2)
    }

    func testAnEmptyServerStillParses() throws {
        let (_, port) = try startRunnel()
        XCTAssertEqual(try parse(try exchange(port: port, "GET", "/metrics").text)["runnel_replies_in_flight{}"], 0)
    }

    func testLabelValuesAreEscaped() {
        XCTAssertEqual(PrometheusText.escaped("a\"b\\c\nd"), "a\\\"b\\\\c\\nd")
        XCTAssertEqual(PrometheusText.number(3), "3")
        XCTAssertEqual(PrometheusText.number(0.25), "0.25")
    }
}
