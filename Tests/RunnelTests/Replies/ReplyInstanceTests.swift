import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// `--instance NAME` (README "Several instances"): reply ids name the server that holds
/// the reply, and every route that takes or gives a reply id works with them.
final class ReplyInstanceTests: XCTestCase {
    private let hex = String(repeating: "0123456789abcdef", count: 2)

    func testBothFormsOfIDAreValidAndNothingElse() {
        XCTAssertTrue(ReplyID.isValid(hex))
        XCTAssertTrue(ReplyID.isValid("a." + hex))
        XCTAssertTrue(ReplyID.isValid("eu-west-2." + hex))
        XCTAssertTrue(ReplyID.isValid(String(repeating: "z", count: 32) + "." + hex))
        for bad in [
            "." + hex,  // an empty name
            String(repeating: "z", count: 33) + "." + hex,  // a name too long
            "A." + hex, "a_b." + hex, "a.b." + hex, "a%2e." + hex, "é." + hex,  // not [a-z0-9-]
            "a" + hex, "a-" + hex,  // no dot
            "a." + hex.dropLast(), "a." + hex + "0", "a." + hex.uppercased(),  // a bad random part
            "a..", "", "a.",
        ] {
            XCTAssertFalse(ReplyID.isValid(bad), bad)
        }
        XCTAssertEqual(ReplyID.instance(of: "eu-west-2." + hex), "eu-west-2")
        XCTAssertNil(ReplyID.instance(of: hex))
    }

    func testIDsAreTheNameADotAnd128RandomBits() {
        let ids = (0..<64).map { _ in ReplyID.make(instance: "b") }
        for id in ids {
            XCTAssertTrue(id.hasPrefix("b."), id)
            XCTAssertEqual(id.utf8.count, 2 + ReplyID.length)
            XCTAssertTrue(ReplyID.isValid(id), id)
        }
        XCTAssertEqual(Set(ids.map { $0.dropFirst(2) }).count, ids.count, "the random part differs every time")
        XCTAssertEqual(ReplyID.make(instance: nil).utf8.count, ReplyID.length, "without --instance, ids are as before")
    }

    func testEveryReplyRouteWorksWithNamedIDs() throws {
        let (_, port) = try startRunnel { $0.instance = "a-1" }
        let words = "one two three four five"
        let live = try chat(port: port, ["message": words, "backend": "echo", "conversation_id": "named", "resumable": true])
        let id = try XCTUnwrap(live.replyID)
        XCTAssertTrue(id.hasPrefix("a-1.") && ReplyID.isValid(id), id)
        let again = try replyEvents(port: port, id, lastEventID: "2")
        XCTAssertEqual(again.response.status, 200)
        XCTAssertEqual(again.response.header("X-Reply-Id"), id)
        XCTAssertEqual(again.identified, Array(live.identified.dropFirst(2)))
        let stopped = try TestClient(port: port).stopReply(id)
        XCTAssertEqual(stopped.status, 200)
        XCTAssertEqual(stopped.json?["id"] as? String, id)
        XCTAssertEqual(stopped.json?["state"] as? String, "completed")

        // A reply in flight: the conversation and the 409 name it with its instance.
        let first = try TestClient(port: port)
        try first.postMessage(["message": "/hang", "conversation_id": "busy"])
        let hanging = try XCTUnwrap(first.readResponse(bodyless: true).header("X-Reply-Id"))
        XCTAssertTrue(hanging.hasPrefix("a-1."), hanging)
        let busy = try chat(port: port, ["message": "next", "conversation_id": "busy"])
        XCTAssertEqual((busy.response.json?["error"] as? [String: Any])?["reply_id"] as? String, hanging)
        let conversation = try exchange(port: port, "GET", "/api/conversations/busy")
        XCTAssertEqual((conversation.json?["reply"] as? [String: Any])?["id"] as? String, hanging)
        let stop = try TestClient(port: port).stopReply(hanging)
        XCTAssertEqual(stop.json?["stopped"] as? Bool, true)
    }

    func testAReplyOfAnotherInstanceIsNotFoundAndTheAnswerSaysWhy() throws {
        let (_, port) = try startRunnel { $0.instance = "a" }
        let elsewhere = try replyEvents(port: port, "b." + hex)
        XCTAssertEqual(elsewhere.response.status, 404)
        XCTAssertEqual(elsewhere.response.errorCode, "reply_not_found")
        let message = try XCTUnwrap((elsewhere.response.json?["error"] as? [String: Any])?["message"] as? String)
        XCTAssertTrue(message.contains("instance 'b'") && message.contains("instance 'a'"), message)
        let unnamed = try TestClient(port: port).stopReply(hex)
        XCTAssertEqual(unnamed.status, 404)
        XCTAssertTrue(String(decoding: unnamed.body, as: UTF8.self).contains("without --instance"))
        let mine = try replyEvents(port: port, "a." + hex)
        XCTAssertEqual(mine.response.errorCode, "reply_not_found")
        XCTAssertFalse(String(decoding: mine.response.body, as: UTF8.self).contains("instance"), "its own id: simply gone")

        let (_, plainPort) = try startRunnel()
        let named = try replyEvents(port: plainPort, "a." + hex)
        XCTAssertEqual(named.response.status, 404)
        XCTAssertTrue(String(decoding: named.response.body, as: UTF8.self).contains("no --instance"))
    }

    func testAnInstanceNameOutsideTheRuleIsRefusedAtStart() throws {
        for bad in ["", "A", "a.b", "a_b", "a b", String(repeating: "x", count: 33)] {
            var configuration = RunnelConfiguration()
            configuration.port = 0
            configuration.forceEmbedded = true
            configuration.instance = bad
            XCTAssertThrowsError(try RunnelApp(configuration: configuration, environment: [:]), bad) { error in
                XCTAssertTrue("\(error)".contains("--instance takes 1 to 32 of a-z, 0-9 and '-'"), "\(error)")
            }
        }
    }
}
