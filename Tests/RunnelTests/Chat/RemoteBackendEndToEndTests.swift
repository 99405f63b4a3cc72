import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// `/api/message` over a real OpenAI-compatible backend talking to a local fake that
/// speaks the provider's wire format: request shape, relay, errors, cancellation.
final class RemoteBackendEndToEndTests: XCTestCase {
    private let key = "sk-e2e-test-key-0123456789"

    private func startOpenAI(_ upstream: FakeUpstream, key: String? = nil) throws -> Int {
        let environment = ["OPENAI_API_KEY": key ?? self.key]
        return try startRunnel(environment: environment) { configuration in
            configuration.backend = "openai"
            configuration.baseURL = upstream.baseURL + "/v1"
            configuration.model = "fake-model"
            configuration.system = "Be brief."
        }.1
    }

    private func delta(_ text: String) -> String {
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: ["choices": [["delta": ["content": text]]], "model": "fake-model-2025"]), as: UTF8.self)
        return "data: \(json)\n\n"
    }

    func testRelaysTheUpstreamStreamAndSendsHistory() throws {
        let body = delta("Hel") + delta("lo ") + delta("wörld 👋") + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\n" + "data: [DONE]\n\n"
        // Split mid-line and inside the emoji's UTF-8 bytes.
        let upstream = try fakeUpstream([.head()] + FakeUpstream.Step.pieces(body, sizes: [5, 40, 77, 3, 61, 2]))
        let port = try startOpenAI(upstream)
        let transcript = try chat(port: port, ["message": "Say hello", "conversation_id": "remote"])
        XCTAssertEqual(transcript.chunks.joined(), "Hello wörld 👋")
        let end = try XCTUnwrap(transcript.end)
        XCTAssertEqual(end["backend"] as? String, "openai")
        XCTAssertEqual(end["model"] as? String, "fake-model-2025")
        XCTAssertEqual((end["usage"] as? [String: Any])?["output_tokens"] as? Int, 3)

        let request = try XCTUnwrap(upstream.requests.first)
        XCTAssertEqual(request.path, "/v1/chat/completions")
        XCTAssertEqual(request.headers["authorization"], "Bearer \(key)")
        XCTAssertEqual(request.json["model"] as? String, "fake-model")
        XCTAssertEqual(request.json["stream"] as? Bool, true)
        let messages = request.json["messages"] as? [[String: Any]] ?? []
        XCTAssertEqual(messages.map { $0["role"] as? String }, ["system", "user"])
        XCTAssertEqual(messages.last?["content"] as? String, "Say hello")
    }

    func testUpstreamAuthFailureIsAnErrorEventWithoutTheKey() throws {
        let upstream = try fakeUpstream([
            .head(status: 401, reason: "Unauthorized", contentType: "application/json"),
            .text(#"{"error":{"message":"Incorrect API key provided: \#(key)","type":"invalid_request_error"}}"#),
        ])
        let port = try startOpenAI(upstream)
        let transcript = try chat(port: port, ["message": "hi", "conversation_id": "auth"])
        XCTAssertEqual(transcript.response.status, 200)
        XCTAssertEqual(transcript.error?["code"] as? String, "upstream_auth")
        XCTAssertEqual(transcript.end?["error"] as? Bool, true)
        XCTAssertFalse(String(decoding: transcript.response.body, as: UTF8.self).contains(key))
        XCTAssertFalse(transcript.events.description.contains(key), "the key never reaches the browser")
    }

    func testAPlainTextErrorEchoingTheKeyInAnotherCaseIsRedacted() throws {
        // Not key-shaped (no provider prefix): only the configured key can catch it.
        let key = "ZQ7Secret-Key-0123456789"
        let upstream = try fakeUpstream([
            .head(status: 500, reason: "Internal Server Error", contentType: "text/plain"),
            .text("proxy rejected authorization: bearer \(key.lowercased())\n"),
        ])
        let port = try startOpenAI(upstream, key: key)
        let transcript = try chat(port: port, ["message": "hi", "conversation_id": "case"])
        XCTAssertEqual(transcript.error?["code"] as? String, "upstream_unavailable")
        let message = try XCTUnwrap((transcript.error?["message"] as? String))
        XCTAssertTrue(message.hasSuffix("proxy rejected authorization: bearer [redacted]"), message)
        XCTAssertFalse(transcript.events.description.lowercased().contains(key.lowercased()), "no case variant reaches the browser")
    }

    func testClientDisconnectClosesTheUpstreamConnection() throws {
        let upstream = try fakeUpstream([.head(), .text(delta("first ")), .awaitClientClose])
        let port = try startOpenAI(upstream)
        let client = try TestClient(port: port)
        try client.postMessage(["message": "stream forever", "conversation_id": "cancel"])
        XCTAssertEqual(try client.readResponse(bodyless: true).status, 200)
        var parser = EventStreamParser()
        while parser.feed(try client.receiveSome()).isEmpty {}
        let leftAt = ContinuousClock.now
        client.abort()
        wait(for: [upstream.clientClosed], timeout: 2)
        let closedAt = try XCTUnwrap(upstream.closedAt)
        print("upstream closed \(closedAt - leftAt) after the browser left")
        XCTAssertLessThanOrEqual(closedAt - leftAt, .milliseconds(100))
    }
}
