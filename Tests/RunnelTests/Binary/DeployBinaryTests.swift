import Foundation
import TestSupport
import XCTest

/// `runnel` on a public bind, as an operator meets it: the login URL in the banner, the
/// JSON access log, and a log no client can write escape sequences into.
final class DeployBinaryTests: XCTestCase {
    private func start(_ arguments: [String]) throws -> (RunnelProcess, Int) {
        let runnel = try RunnelProcess(arguments: ["--port", "0", "--embedded", "--backend", "echo"] + arguments)
        addTeardownBlock { _ = runnel.terminate() }
        let port = try XCTUnwrap(runnel.waitForPort(), runnel.text)
        return (runnel, port)
    }

    func testAPublicBindPrintsALoginURLAndLogsJSON() throws {
        let (runnel, port) = try start(["--host", "0.0.0.0", "--log-format", "json"])
        let login = try XCTUnwrap(runnel.text.firstMatch(of: /Login: +http:\/\/[^\s\/]+:(\d+)\/\?token=([0-9a-f]{32})/), runnel.text)
        XCTAssertEqual(Int(login.1), port)
        let token = String(login.2)

        XCTAssertEqual(try exchange(port: port, "GET", "/api/backends").status, 401)
        let client = try TestClient(port: port)
        try client.postMessage(["message": "logged reply"], headers: ["Authorization": "Bearer \(token)"])
        let transcript = try client.readChat()
        XCTAssertEqual(transcript.end?["full_response"] as? String, "logged reply")
        let requestID = try XCTUnwrap(transcript.response.header("X-Request-Id"))

        XCTAssertTrue(runnel.waitFor("\"request_id\":\"\(requestID)\""), runnel.text)
        let line = try XCTUnwrap(runnel.text.split(separator: "\n").first { $0.contains(requestID) })
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
        XCTAssertEqual(object["method"] as? String, "POST")
        XCTAssertEqual(object["path"] as? String, "/api/message")
        XCTAssertEqual(object["status"] as? Int, 200)
        XCTAssertEqual(object["client"] as? String, "127.0.0.1")
        XCTAssertEqual(object["backend"] as? String, "echo")
        XCTAssertEqual(object["outcome"] as? String, "completed")
        XCTAssertGreaterThan(object["bytes"] as? Int ?? 0, 0)
        XCTAssertNotNil(object["duration_ms"] as? Double)
        XCTAssertNotNil(object["time"] as? String)
        XCTAssertFalse(runnel.text.split(separator: "\n").contains { $0.contains("\"path\"") && $0.contains(token) }, "the token is never logged")
    }

    /// Replies of the SDK endpoints are logged with their backend and outcome too.
    func testProviderEndpointRepliesAreLoggedWithBackendAndOutcome() throws {
        let token = "deploy-token-0123456789"
        let (runnel, port) = try start(["--host", "0.0.0.0", "--log-format", "json", "--access-token", token])
        let streamed = try exchange(port: port, "POST", "/v1/chat/completions", headers: ["Authorization": "Bearer \(token)"],
                                    json: #"{"model":"echo","stream":true,"messages":[{"role":"user","content":"a b"}]}"#)
        let whole = try exchange(port: port, "POST", "/v1/messages", headers: ["x-api-key": token],
                                 json: #"{"model":"mock","max_tokens":9,"messages":[{"role":"user","content":"/error"}]}"#)
        XCTAssertEqual(streamed.status, 200)
        XCTAssertEqual(whole.status, 503)
        for (response, backend, outcome) in [(streamed, "echo", "completed" as String?), (whole, nil, nil)] {
            let requestID = try XCTUnwrap(response.header("X-Request-Id"))
            XCTAssertTrue(runnel.waitFor("\"request_id\":\"\(requestID)\""), runnel.text)
            let line = try XCTUnwrap(runnel.text.split(separator: "\n").first { $0.contains(requestID) })
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            XCTAssertEqual(object["backend"] as? String, backend, String(line))
            XCTAssertEqual(object["outcome"] as? String, outcome, String(line))
        }
        let completed = try exchange(port: port, "POST", "/v1beta/models/mock:generateContent", headers: ["x-goog-api-key": token],
                                     json: #"{"contents":[{"parts":[{"text":"hi"}]}]}"#)
        let requestID = try XCTUnwrap(completed.header("X-Request-Id"))
        XCTAssertTrue(runnel.waitFor("\"request_id\":\"\(requestID)\""), runnel.text)
        let line = try XCTUnwrap(runnel.text.split(separator: "\n").first { $0.contains(requestID) })
        XCTAssertTrue(line.contains(#""backend":"mock""#) && line.contains(#""outcome":"completed""#), String(line))
    }

    func testNoEscapeSequenceFromAClientReachesTheTerminal() throws {
        for format in ["text", "json"] {
            let (runnel, port) = try start(["--log-format", format])
            let raw = try TestClient(port: port)
            try raw.send("GET /\u{1B}[31mred HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            XCTAssertEqual(try raw.readResponse().status, 400)
            XCTAssertEqual(try exchange(port: port, "GET", "/%1B[31mred?x=%9B").status, 404)
            let marker = try exchange(port: port, "GET", "/healthz?done").header("X-Request-Id") ?? ""
            XCTAssertTrue(runnel.waitFor(marker), runnel.text)
            XCTAssertFalse(runnel.text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B }, "\(format): \(runnel.text.debugDescription)")
        }
    }
}
