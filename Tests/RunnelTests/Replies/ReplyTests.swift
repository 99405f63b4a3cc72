import ChatBackends
@testable import Runnel
import XCTest

/// ``Reply`` on its own, without a server.
final class ReplyTests: XCTestCase {
    /// The registry holds the reply and the reply's `onEnd` holds the registry: an ended
    /// reply must let go of `onEnd`, or the two keep each other (and every retained reply)
    /// alive once the app lets go (a cycle LeakSanitizer found, `make test-asan`).
    func testAnEndedReplyLetsGoOfItsOnEnd() throws {
        final class Registry: Sendable {}
        let conversations = ConversationStore()
        guard case .ticket(let ticket) = conversations.begin("c1", reply: "r1") else { return XCTFail("no ticket") }
        weak var released: Registry?
        let reply: Reply
        do {
            let registry = Registry()
            released = registry
            reply = Reply(
                id: "r1", ticket: ticket, message: "hi", resumable: false, backend: EchoBackend(),
                settings: Reply.Settings(), conversations: conversations, onEnd: { _ in _ = registry })
        }
        XCTAssertNotNil(released, "held until the reply ends")
        XCTAssertTrue(reply.end(.stopped))
        XCTAssertNil(released)
        XCTAssertEqual(reply.state, .stopped)
    }
}
