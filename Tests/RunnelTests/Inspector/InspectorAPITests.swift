import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// `/__runnel/inspector` and its JSON routes (README "Record and replay").
final class InspectorAPITests: XCTestCase {
    private let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func startDev(record: URL? = nil) throws -> Int {
        try startRunnel { configuration in
            configuration.forceEmbedded = false
            configuration.hotReload = false
            configuration.root = repository.path
            configuration.backend = "echo"
            configuration.echoDelayMs = 5
            configuration.recordDirectory = record?.path
        }.1
    }

    private func get(_ port: Int, _ path: String) throws -> TestResponse {
        let client = try TestClient(port: port)
        try client.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        return try client.readResponse()
    }

    private func post(_ port: Int, _ path: String, contentType: String = "application/json") throws -> TestResponse {
        let client = try TestClient(port: port)
        try client.send("POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: \(contentType)\r\nContent-Length: 2\r\n\r\n{}")
        return try client.readResponse()
    }

    func testListsRepliesWithTimingAndShowsOneWithItsTimedEvents() throws {
        let port = try startDev()
        let page = try get(port, "/__runnel/inspector")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains(#"<script type="module" src="/inspector/inspector.js"></script>"#))
        XCTAssertNotNil(page.header("Content-Security-Policy"))

        let transcript = try chat(port: port, ["message": "three little words", "conversation_id": "inspect"])
        let id = try XCTUnwrap(transcript.replyID)
        let list = try XCTUnwrap(try get(port, "/__runnel/inspector/replies").json)
        XCTAssertEqual(list["recording"] as? Bool, false)
        let first = try XCTUnwrap((list["replies"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["id"] as? String, id)
        XCTAssertEqual(first["backend"] as? String, "echo")
        XCTAssertEqual(first["state"] as? String, "completed")
        XCTAssertEqual(first["tokens"] as? Int, 3)
        XCTAssertNotNil(first["first_chunk_ms"] as? Int)
        XCTAssertNotNil(first["tokens_per_s"] as? Double)

        let detail = try XCTUnwrap(try get(port, "/__runnel/inspector/replies/\(id)").json)
        let events = try XCTUnwrap((detail["trace"] as? [String: Any])?["events"] as? [[String: Any]])
        XCTAssertEqual(events.compactMap { $0["text"] as? String }.joined(), "three little words")
        let times = events.compactMap { $0["at_ms"] as? Double }
        XCTAssertEqual(times, times.sorted())
        XCTAssertGreaterThanOrEqual(times.last! - times.first!, 9, "echo paced at 5 ms: the times are arrival times")

        let unknown = try get(port, "/__runnel/inspector/replies/\(String(repeating: "0", count: 32))")
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual((unknown.json?["error"] as? [String: Any])?["code"] as? String, "reply_not_found", "a JSON route's error is JSON: \(unknown.text)")
        XCTAssertEqual(try post(port, "/__runnel/inspector/replies/\(id)/cassette").status, 409, "no --record: nowhere to save")
    }

    func testSaveAsCassetteWritesTheReplyWhenRecording() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("inspector-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let port = try startDev(record: folder)
        let id = try XCTUnwrap(try chat(port: port, ["message": "keep this one", "conversation_id": "save"]).replyID)
        let refused = try post(port, "/__runnel/inspector/replies/\(id)/cassette", contentType: "text/plain")
        XCTAssertEqual(refused.status, 415)
        XCTAssertEqual((refused.json?["error"] as? [String: Any])?["code"] as? String, "unsupported_media_type", refused.text)
        let saved = try post(port, "/__runnel/inspector/replies/\(id)/cassette")
        XCTAssertEqual(saved.status, 200, saved.text)
        let file = try XCTUnwrap(saved.json?["file"] as? String)
        XCTAssertTrue(file.hasSuffix("-keep-this-one.json"), file)
        XCTAssertTrue(try String(contentsOfFile: file, encoding: .utf8).contains(#""text" : "keep ""#))
    }

    func testAbsentInEmbeddedMode() throws {
        let (_, port) = try startRunnel()
        XCTAssertEqual(try get(port, "/__runnel/inspector").status, 404)
        XCTAssertEqual(try get(port, "/__runnel/inspector/replies").status, 404)
    }
}
