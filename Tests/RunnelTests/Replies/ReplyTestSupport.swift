import Foundation
@testable import Runnel
import TestSupport
import XCTest

extension TestClient {
    /// `GET /api/replies/{id}/events`, optionally after an event (`Last-Event-ID` or `?after=`).
    func getReplyEvents(_ id: String, lastEventID: String? = nil, query: String = "") throws {
        var head = "GET /api/replies/\(id)/events\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if let lastEventID { head += "Last-Event-ID: \(lastEventID)\r\n" }
        try send(head + "\r\n")
    }

    /// `POST /api/replies/{id}/stop`; the response.
    func stopReply(_ id: String) throws -> TestResponse {
        try send("POST /api/replies/\(id)/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        return try readResponse()
    }
}

/// Reads a reply's events from `GET /api/replies/{id}/events` on a new connection.
func replyEvents(port: Int, _ id: String, lastEventID: String? = nil, query: String = "") throws -> ChatTranscript {
    let client = try TestClient(port: port)
    try client.getReplyEvents(id, lastEventID: lastEventID, query: query)
    return try client.readChat()
}

/// Polls `condition` until it holds or `timeout` passes (no sleeping: it yields the CPU).
func eventually(within timeout: Duration = .seconds(5), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        sched_yield()
    }
    return try condition()
}

extension ChatTranscript {
    /// The `(id, JSON text)` of every event, to compare two readers' streams exactly.
    var identified: [String] {
        zip(ids, events).map { id, event in
            let json = (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data()
            return id + " " + String(decoding: json, as: UTF8.self)
        }
    }
}
