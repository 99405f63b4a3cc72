import Foundation
import TestSupport
import XCTest

/// Every error of `/api/message` before and after the stream starts (README "The wire format", README "Security defaults").
final class ChatErrorTests: XCTestCase {
    private func post(_ port: Int, body: String, headers: [String: String] = ["Content-Type": "application/json"], host: String = "127.0.0.1") throws -> TestResponse {
        let client = try TestClient(port: port)
        var head = "POST /api/message HTTP/1.1\r\nHost: \(host)\r\nContent-Length: \(body.utf8.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try client.send(head + "\r\n" + body)
        return try client.readResponse()
    }

    private func assertError(_ response: TestResponse, _ status: Int, _ code: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        XCTAssertEqual(response.header("Content-Type"), "application/json", file: file, line: line)
        XCTAssertEqual(response.errorCode, code, response.text, file: file, line: line)
        let message = (response.json?["error"] as? [String: Any])?["message"] as? String
        XCTAssertFalse(message?.isEmpty ?? true, "a helpful message", file: file, line: line)
    }

    func testRequestErrors() throws {
        let (_, port) = try startRunnel()
        assertError(try post(port, body: "{not json"), 400, "invalid_json")
        let notObject = try post(port, body: "[1,2]")
        assertError(notObject, 400, "invalid_request")
        XCTAssertTrue(notObject.text.contains("must be a JSON object"), notObject.text)
        assertError(try post(port, body: "{}"), 400, "invalid_request")
        assertError(try post(port, body: #"{"message": 42}"#), 400, "invalid_request")
        assertError(try post(port, body: #"{"message": "  "}"#), 400, "invalid_request")
        assertError(try post(port, body: #"{"message": "hi", "conversation_id": "no spaces"}"#), 400, "invalid_request")
        assertError(try post(port, body: #"{"message": "hi", "conversation_id": "\#(String(repeating: "a", count: 129))"}"#), 400, "invalid_request")
        assertError(try post(port, body: #"{"message": "hi", "delay_ms": -1}"#), 400, "invalid_request")
        assertError(try post(port, body: #"{"message": "hi", "backend": "gpt-7"}"#), 400, "unknown_backend")
        assertError(try post(port, body: #"{"message": "hi"}"#, headers: ["Content-Type": "text/plain"]), 415, "unsupported_media_type")
        assertError(try post(port, body: #"{"message": "hi"}"#, headers: [:]), 415, "unsupported_media_type")
    }

    func testBodyOverOneMebibyteIs413() throws {
        let (_, port) = try startRunnel()
        let client = try TestClient(port: port)
        try client.send("POST /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(2 << 20)\r\n\r\n")
        let response = try client.readResponse()
        assertError(response, 413, "body_too_large")
    }

    func testWrongMethodsAndPathsOnTheAPIAreJSON() throws {
        let (_, port) = try startRunnel()
        let put = try TestClient(port: port)
        try put.send("PUT /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        let response = try put.readResponse()
        assertError(response, 405, "method_not_allowed")
        XCTAssertEqual(response.header("Allow"), "POST")
        let client = try TestClient(port: port)
        try client.send("POST /api/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        let unknown = try client.readResponse()
        assertError(unknown, 405, "method_not_allowed")  // unknown paths serve files: GET and HEAD only
        XCTAssertEqual(unknown.header("Allow"), "GET, HEAD")
    }

    func testForeignOriginAndHostAreRefused() throws {
        let (_, port) = try startRunnel { $0.corsOrigins = ["http://friend.example"] }
        let body = #"{"message": "hi", "backend": "echo", "conversation_id": "origin"}"#
        assertError(try post(port, body: body, headers: ["Content-Type": "application/json", "Origin": "http://evil.example"]), 403, "forbidden_origin")
        let same = try post(port, body: body, headers: ["Content-Type": "application/json", "Origin": "http://127.0.0.1:\(port)"], host: "127.0.0.1:\(port)")
        XCTAssertEqual(same.status, 200, "same origin is fine")
        let friend = try post(port, body: body, headers: ["Content-Type": "application/json", "Origin": "http://friend.example"])
        XCTAssertEqual(friend.status, 200, "--cors origin is allowed")
        XCTAssertEqual(friend.header("Access-Control-Allow-Origin"), "http://friend.example")
        let rebound = try post(port, body: body, host: "attacker.example")
        XCTAssertEqual(rebound.status, 403, "DNS rebinding: a foreign Host is refused")
        let lookalike = try post(port, body: body, headers: ["Content-Type": "application/json", "Origin": "http://127.evil.example:\(port)"],
                                 host: "127.evil.example:\(port)")
        XCTAssertEqual(lookalike.status, 403, "a name that merely starts with 127. is not loopback")
        XCTAssertEqual(try post(port, body: body, host: "127.0.0.2:\(port)").status, 200, "any 127/8 address is loopback")
        let hostless = try TestClient(port: port)
        try hostless.send("GET /healthz HTTP/1.0\r\n\r\n")
        XCTAssertEqual(try hostless.readResponse().status, 403, "no Host, no answer on a loopback bind")
    }

    func testConcurrentReplyInOneConversationIs409() throws {
        let (_, port) = try startRunnel()
        let first = try TestClient(port: port)
        try first.postMessage(["message": "/hang", "conversation_id": "busy"])
        XCTAssertEqual(try first.readResponse(bodyless: true).status, 200)
        let second = try post(port, body: #"{"message": "hi", "conversation_id": "busy"}"#)
        assertError(second, 409, "conversation_busy")
        let other = try chat(port: port, ["message": "hi", "backend": "echo", "conversation_id": "not-busy"])
        XCTAssertEqual(other.response.status, 200, "other conversations are unaffected")
    }

    func testUpstreamFailureMidStreamIsAnErrorEventThenEnd() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "/error-mid", "conversation_id": "mid"])
        XCTAssertEqual(transcript.response.status, 200)
        XCTAssertFalse(transcript.chunks.isEmpty, "some chunks came before the failure")
        let error = try XCTUnwrap(transcript.error)
        XCTAssertEqual(error["code"] as? String, "upstream_unavailable")
        let errorIndex = try XCTUnwrap(transcript.events.firstIndex { $0["error"] is [String: Any] })
        XCTAssertEqual(errorIndex, transcript.events.count - 2, "error, then end")
        XCTAssertEqual(transcript.end?["error"] as? Bool, true)
        XCTAssertEqual(transcript.end?["full_response"] as? String, transcript.chunks.joined(), "the partial reply")
    }

    func testFailureBeforeAnyChunk() throws {
        let (_, port) = try startRunnel()
        let transcript = try chat(port: port, ["message": "/error", "conversation_id": "early"])
        XCTAssertEqual(transcript.chunks, [])
        XCTAssertNotNil(transcript.error?["code"] as? String)
        XCTAssertEqual(transcript.end?["full_response"] as? String, "")
        XCTAssertEqual(transcript.end?["error"] as? Bool, true)
    }
}
