import ChatBackends
import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// The provider-format endpoints (README "SDKs") seen from the wire: cancellation, errors
/// in each format's shape, and which backend a model names. The SDKs themselves are the
/// clients in Tests/SDK.
final class ProviderAPITests: XCTestCase {
    private func post(_ port: Int, _ path: String, _ json: String, headers: [String: String] = [:]) throws -> TestResponse {
        try exchange(port: port, "POST", path, headers: headers, json: json)
    }

    /// Each format's streaming request, against an OpenAI upstream that sends one delta
    /// and then waits: the client leaving closes the upstream connection within 100 ms.
    func testAClientLeavingAnyFormatsStreamClosesTheUpstreamWithin100ms() throws {
        let requests = [
            ("/v1/chat/completions", #"{"model":"openai","stream":true,"messages":[{"role":"user","content":"go"}]}"#),
            ("/v1/messages", #"{"model":"openai","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"go"}]}"#),
            ("/v1beta/models/openai:streamGenerateContent?alt=sse", #"{"contents":[{"role":"user","parts":[{"text":"go"}]}]}"#),
        ]
        for (path, body) in requests {
            let first = #"data: {"model":"m","choices":[{"delta":{"content":"first "}}]}"# + "\n\n"
            let upstream = try fakeUpstream([.head(), .text(first), .awaitClientClose])
            let (_, port) = try startRunnel(environment: ["OPENAI_API_KEY": "sk-provider-test-0123456789"]) {
                $0.backend = "openai"
                $0.baseURL = upstream.baseURL + "/v1"
            }
            let client = try TestClient(port: port)
            try client.send("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            XCTAssertEqual(try client.readResponse(bodyless: true).status, 200, path)
            var seen = ""
            while !seen.contains("first ") { seen += String(decoding: try client.receiveSome(), as: UTF8.self) }
            let leftAt = ContinuousClock.now
            client.abort()
            wait(for: [upstream.clientClosed], timeout: 2)
            let closedAt = try XCTUnwrap(upstream.closedAt)
            print("\(path): upstream closed \(closedAt - leftAt) after the client left")
            XCTAssertLessThanOrEqual(closedAt - leftAt, .milliseconds(100), path)
        }
    }

    /// The backend does not wait for a stream's client (README "SDKs"): what the client has
    /// not taken is bounded by --max-reply-bytes, past which the stream ends with the
    /// format's error event and the backend (here its upstream connection) stops.
    func testAStreamsClientFallingTooFarBehindGetsAnErrorAndTheUpstreamCloses() throws {
        var events = ""
        for index in 0..<4000 { events += #"data: {"model":"m","choices":[{"delta":{"content":"w\#(index) "}}]}"# + "\n\n" }
        let upstream = try fakeUpstream([.head(), .sendThenAwaitClientClose(Array(events.utf8))])
        let (_, port) = try startRunnel(environment: ["OPENAI_API_KEY": "sk-provider-test-0123456789"]) {
            $0.backend = "openai"
            $0.baseURL = upstream.baseURL + "/v1"
            $0.replies.maxBytes = 16 << 10
            $0.server.sendBufferBytes = 8 << 10  // so the socket holds little of the 320 KB
        }
        let client = try TestClient(port: port, receiveBuffer: 4096)
        let body = #"{"model":"openai","stream":true,"messages":[{"role":"user","content":"go"}]}"#
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        wait(for: [upstream.clientClosed], timeout: 10)  // stopped while this client read nothing
        var text = ""
        while !text.hasSuffix("0\r\n\r\n") { text += String(decoding: try client.receiveSome(), as: UTF8.self) }
        XCTAssertTrue(text.contains(#""code":"client_too_slow""#), String(text.suffix(400)))
        XCTAssertTrue(text.contains("w0 "))
        XCTAssertFalse(text.contains("w3999 "), "the rest of the reply was never sent")
    }

    func testAWholeAnswerLongerThanTheReplyBoundIsAnError() throws {
        let (_, port) = try startRunnel { $0.replies.maxBytes = 1000 }
        let long = (0..<100).map { "word\($0)-\(String(repeating: "x", count: 20))" }.joined(separator: " ")
        let tooLong = try post(port, "/v1/chat/completions", #"{"model":"echo","messages":[{"role":"user","content":"\#(long)"}]}"#)
        XCTAssertEqual(tooLong.status, 502, tooLong.text)
        XCTAssertEqual((tooLong.json?["error"] as? [String: Any])?["code"] as? String, "reply_too_large")
        let short = try post(port, "/v1/chat/completions", #"{"model":"echo","messages":[{"role":"user","content":"one two"}]}"#)
        XCTAssertEqual(short.status, 200, short.text)
    }

    /// A silent stream gets its format's heartbeat every --heartbeat-seconds (README
    /// "SDKs"): an SSE comment on OpenAI's, Anthropic's own `ping` event; none on
    /// Gemini's, whose SDK would read it as JSON.
    func testASilentStreamGetsItsFormatsHeartbeat() throws {
        let cases = [
            ("/v1/chat/completions", #"{"model":"openai","stream":true,"messages":[{"role":"user","content":"go"}]}"#, ": ping\n\n"),
            ("/v1/messages", #"{"model":"openai","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"go"}]}"#,
             "event: ping\ndata: {\"type\":\"ping\"}\n\n"),
        ]
        for (path, body, ping) in cases {
            let first = #"data: {"model":"m","choices":[{"delta":{"content":"first "}}]}"# + "\n\n"
            let upstream = try fakeUpstream([.head(), .text(first), .awaitClientClose])
            let (_, port) = try startRunnel(environment: ["OPENAI_API_KEY": "sk-provider-test-0123456789"]) {
                $0.backend = "openai"
                $0.baseURL = upstream.baseURL + "/v1"
                $0.heartbeat = .milliseconds(50)
            }
            let client = try TestClient(port: port)
            try client.send("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            XCTAssertEqual(try client.readResponse(bodyless: true).status, 200, path)
            // After its first text the upstream says nothing more: what follows is heartbeats.
            var seen = ""
            while !(seen.components(separatedBy: "first ").dropFirst().last?.contains(ping) ?? false) {
                seen += String(decoding: try client.receiveSome(), as: UTF8.self)
            }
            client.abort()
        }
        XCTAssertNil(GeminiFormat.Encoder().heartbeat)
    }

    func testErrorsTakeEachFormatsShape() throws {
        let (_, port) = try startRunnel()
        let openAI = try post(port, "/v1/chat/completions", #"{"model":"mock","messages":[{"role":"user","content":"hi"}],"n":3}"#)
        XCTAssertEqual(openAI.status, 400)
        let openAIError = try XCTUnwrap(openAI.json?["error"] as? [String: Any])
        XCTAssertEqual(openAIError["type"] as? String, "invalid_request_error")
        XCTAssertEqual(openAIError["param"] as? String, "n")

        let anthropic = try post(port, "/v1/messages", #"{"model":"mock","max_tokens":5,"messages":[{"role":"user","content":"/error"}]}"#)
        XCTAssertEqual(anthropic.status, 503)
        XCTAssertEqual(anthropic.json?["type"] as? String, "error")
        XCTAssertEqual((anthropic.json?["error"] as? [String: Any])?["type"] as? String, "overloaded_error")

        let gemini = try post(port, "/v1beta/models/mock:countTokens", #"{"contents":[]}"#)
        XCTAssertEqual(gemini.status, 404)
        XCTAssertEqual((gemini.json?["error"] as? [String: Any])?["status"] as? String, "NOT_FOUND")
        XCTAssertEqual((gemini.json?["error"] as? [String: Any])?["code"] as? Int, 404)

        let missing = try post(port, "/v1/chat/completions", #"{"model":"mock"}"#)
        XCTAssertEqual(missing.status, 400)
        XCTAssertTrue(((missing.json?["error"] as? [String: Any])?["message"] as? String ?? "").contains("'messages' is required"))
    }

    func testTheModelPicksTheBackend() throws {
        let backends = BackendSet([MockBackend(), EchoBackend()], defaultName: "mock")
        XCTAssertEqual(backends.backend(forModel: "echo")?.name, "echo")
        XCTAssertEqual(backends.backend(forModel: "echo/anything")?.name, "echo")
        XCTAssertEqual(backends.backend(forModel: "mock-1")?.name, "mock")
        XCTAssertNil(backends.backend(forModel: "gpt-4o"), "a bare model needs a remote default backend")
        XCTAssertNil(backends.backend(forModel: "nope/x"))
    }

    /// google-genai keeps the slash of `backend/model` in the path: `models/echo/x:…`.
    func testAGeminiPathNamesABackendAndItsModel() throws {
        let (_, port) = try startRunnel()
        let body = #"{"contents":[{"parts":[{"text":"two words"}]}]}"#
        for version in ["v1beta", "v1"] {
            let whole = try post(port, "/\(version)/models/echo/anything:generateContent", body)
            XCTAssertEqual(whole.status, 200, whole.text)
            let parts = ((whole.json?["candidates"] as? [[String: Any]])?.first?["content"] as? [String: Any])?["parts"] as? [[String: Any]]
            XCTAssertEqual(parts?.compactMap { $0["text"] as? String }.joined(), "two words")
        }
        XCTAssertEqual(try post(port, "/v1beta/models/nope/x:generateContent", body).status, 404)
        XCTAssertEqual(try post(port, "/v1beta/models/echo/x:countTokens", body).status, 404)
    }

    func testTheAPIKeyOpensOnlyTheProviderEndpoints() throws {
        let (_, port) = try startRunnel { $0.apiKey = "provider-key-0123456789" }
        let body = #"{"model":"echo","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#
        XCTAssertEqual(try post(port, "/v1/messages", body).status, 401)
        XCTAssertEqual(try post(port, "/v1/messages", body, headers: ["x-api-key": "provider-key-0123456789"]).status, 200)
        XCTAssertEqual(try exchange(port: port, "GET", "/v1/models", headers: ["Authorization": "Bearer provider-key-0123456789"]).status, 200)
        XCTAssertEqual(try exchange(port: port, "GET", "/v1/models", headers: ["Authorization": "Bearer wrong"]).status, 401)
    }
}

