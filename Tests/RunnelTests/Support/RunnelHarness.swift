import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// Starts the real app on 127.0.0.1 port 0, in process, stopped when the test ends.
extension XCTestCase {
    func startRunnel(
        environment: [String: String] = [:], configure: (inout RunnelConfiguration) -> Void = { _ in }
    ) throws -> (RunnelApp, Int) {
        var configuration = RunnelConfiguration()
        configuration.port = 0
        configuration.forceEmbedded = true
        configuration.mockFirstTokenMs = 5
        configuration.mockTokenDelayMs = 1
        configuration.server.shutdownGracePeriod = .milliseconds(300)
        configuration.server.shutdownCancelGracePeriod = .milliseconds(300)
        configure(&configuration)
        let app = try RunnelApp(configuration: configuration, environment: environment)
        let port = try app.start()
        stopAtTearDown(app) { await $0.shutdown() }
        return (app, port)
    }
}

/// One `/api/message` exchange as the client saw it.
struct ChatTranscript {
    var response: TestResponse
    var events: [[String: Any]] = []
    /// Each event's SSE id ("" when the stream sends none).
    var ids: [String] = []
    var comments: [String] = []
    /// The raw body bytes of the event stream.
    var raw: [UInt8] = []

    var replyID: String? { response.header("X-Reply-Id") }

    var chunks: [String] { events.compactMap { $0["chunk"] as? String } }
    var end: [String: Any]? { events.last { $0["end"] as? Bool == true } }
    var error: [String: Any]? { events.compactMap { $0["error"] as? [String: Any] }.first }
    var jsonData: Any? { events.first { $0["json_data"] != nil }?["json_data"] }
}

extension TestClient {
    /// Sends a chat message (raw HTTP) on this connection.
    func postMessage(_ body: [String: Any], headers: [String: String] = [:]) throws {
        let json = try JSONSerialization.data(withJSONObject: body)
        var head = "POST /api/message HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(json.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try send(Array((head + "\r\n").utf8) + Array(json))
    }

    /// Reads one chat response, parsing its event stream with the test's own parser.
    func readChat() throws -> ChatTranscript {
        let response = try readResponse(head: false, bodyless: true)
        guard response.status == 200 else {
            var transcript = ChatTranscript(response: response)
            if response.status != 204 { transcript.response.body = try readBody(of: response) }
            return transcript
        }
        return try readChat(afterHead: response)
    }

    /// Reads the event stream of a chat response whose head was already read.
    func readChat(afterHead head: TestResponse) throws -> ChatTranscript {
        var transcript = ChatTranscript(response: head)
        var parser = EventStreamParser()
        transcript.raw = try readChunkedBody { chunk in
            for event in parser.feed(chunk) {
                let object = try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]
                transcript.events.append(try XCTUnwrap(object, "every event is a JSON object: \(event.data)"))
                transcript.ids.append(event.id)
            }
        }
        transcript.comments = parser.comments
        return transcript
    }
}

/// Opens a connection, sends one message, reads the whole reply.
func chat(port: Int, _ body: [String: Any], headers: [String: String] = [:]) throws -> ChatTranscript {
    let client = try TestClient(port: port)
    try client.postMessage(body, headers: headers)
    return try client.readChat()
}

extension TestResponse {
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    var errorCode: String? { (json?["error"] as? [String: Any])?["code"] as? String }
}

/// One request on a new connection (from `source`, a loopback address, when given), its
/// whole response: what the access, limit and metrics tests send.
func exchange(
    port: Int, _ method: String = "GET", _ target: String, headers: [String: String] = [:], json: String? = nil,
    source: String? = nil
) throws -> TestResponse {
    let client = try TestClient(port: port, sourceAddress: source)
    var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if let json { head += "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n" }
    try client.send(head + "\r\n" + (json ?? ""))
    return try client.readResponse(head: method == "HEAD")
}
