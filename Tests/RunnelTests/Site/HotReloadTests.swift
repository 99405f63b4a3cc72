import Foundation
@testable import Runnel
import TestSupport
import XCTest

/// Hot reload end to end: a save on disk becomes an event on `/__runnel/reload` (README "Modes").
final class HotReloadTests: XCTestCase {
    private var fixture: SiteFixture!
    private var port = 0
    private var app: RunnelApp!
    private var events: TestClient!
    private var parser = EventStreamParser()

    override func setUpWithError() throws {
        fixture = try SiteFixture()
        let root = fixture.root.path
        (app, port) = try startRunnel { $0.forceEmbedded = false; $0.root = root }
        events = try TestClient(port: port, timeout: .seconds(5))
        try events.send("GET /__runnel/reload HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(try events.readResponse(bodyless: true).status, 200)
        XCTAssertEqual(try nextEvent()["type"] as? String, "hello")
    }

    /// XCTest keeps every test case until the run ends: let go of what `setUp` made too.
    override func tearDown() {
        fixture.remove()
        events = nil
        app = nil
    }

    /// The next event, waiting at most the client's timeout.
    private func nextEvent() throws -> [String: Any] {
        while true {
            let size = try XCTUnwrap(Int(try events.readLine(), radix: 16))
            let found = parser.feed(try events.readExactly(size))
            _ = try events.readLine()
            if let event = found.first {
                return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])
            }
        }
    }

    func testCSSSaveSwapsTheStylesheet() throws {
        try fixture.write("Frontend/style.css", "body { color: red; }\n")
        let event = try nextEvent()
        XCTAssertEqual(event["type"] as? String, "css")
        XCTAssertEqual(event["path"] as? String, "/style.css")
        let client = try TestClient(port: port)
        try client.send("GET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "body { color: red; }\n", "the cache was invalidated")
    }

    func testScriptSaveReloads() throws {
        try fixture.write("Frontend/app.js", "console.log('v2')\n")
        XCTAssertEqual(try nextEvent()["type"] as? String, "reload")
    }

    func testRenameOnSaveIgnoringSwapFiles() throws {
        // vim-style: a swap file and a temporary file (both ignored), then a rename onto
        // the real name: the first event is that of the renamed file.
        try fixture.write("Frontend/.style.css.swp", "swap")
        try fixture.write("Frontend/style.css.tmp", "p { margin: 0 }")
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("Frontend/style.css"))
        try FileManager.default.moveItem(at: fixture.root.appendingPathComponent("Frontend/style.css.tmp"),
                                         to: fixture.root.appendingPathComponent("Frontend/style.css"))
        let event = try nextEvent()
        XCTAssertEqual(event["type"] as? String, "css")
        XCTAssertEqual(event["path"] as? String, "/style.css")
    }

    func testFilesInNewFoldersAreWatched() throws {
        try FileManager.default.createDirectory(at: fixture.root.appendingPathComponent("Frontend/widgets"), withIntermediateDirectories: true)
        try fixture.write("Frontend/widgets/chart.js", "export {}")
        XCTAssertEqual(try nextEvent()["type"] as? String, "reload")
        // Whatever the first event covered, a later save inside the new folder is seen too.
        try fixture.write("Frontend/widgets/chart.js", "export const v = 2")
        XCTAssertEqual(try nextEvent()["type"] as? String, "reload")
    }

    func testTemplateErrorThenFix() throws {
        try fixture.write("Templates/index.html", "<html>\n<body>\n{{nope}}\n</body></html>")
        let error = try nextEvent()
        XCTAssertEqual(error["type"] as? String, "error")
        XCTAssertEqual(error["file"] as? String, "Templates/index.html")
        XCTAssertEqual(error["line"] as? Int, 3)
        XCTAssertTrue((error["message"] as? String ?? "").contains("nope"))
        let client = try TestClient(port: port)
        try client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let page = try client.readResponse()
        XCTAssertEqual(page.status, 500)
        XCTAssertEqual(page.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertTrue(page.text.contains("index.html:3"))
        XCTAssertTrue(page.text.contains(ReloadClient.scriptTag), "the error page reloads once the template is fixed")

        try fixture.write("Templates/index.html", SiteFixture.indexTemplate)
        XCTAssertEqual(try nextEvent()["type"] as? String, "reload")
        try client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let fixed = try client.readResponse()
        XCTAssertEqual(fixed.status, 200)
        XCTAssertTrue(fixed.text.contains("<script src=\"/__runnel/client.js\"></script>\n</body>"), "client injected before </body>")
    }

    func testEveryTabHearsAndAClosedTabIsForgotten() throws {
        let hub = try XCTUnwrap(app.reloadHub)
        let second = try TestClient(port: port, timeout: .seconds(5))
        try second.send("GET /__runnel/reload HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(try second.readResponse(bodyless: true).status, 200)
        XCTAssertTrue(try second.readLine().count > 0, "hello chunk")
        XCTAssertEqual(hub.subscriberCount, 2)
        try fixture.write("Frontend/app.js", "console.log('both')\n")
        XCTAssertEqual(try nextEvent()["type"] as? String, "reload")
        var secondParser = EventStreamParser()
        var secondEvents: [EventStreamParser.Event] = []
        while !secondEvents.contains(where: { $0.data.contains("reload") }) {
            secondEvents += secondParser.feed(try second.receiveSome())
        }
        second.abort()
        // The server notices the closed tab through its hang-up, without another event.
        let deadline = ContinuousClock.now + .seconds(5)
        while hub.subscriberCount > 1 && ContinuousClock.now < deadline { try events.waitBriefly() }
        XCTAssertEqual(hub.subscriberCount, 1)
    }

    func testHeadOnTheEventStreamSubscribesNothing() throws {
        let client = try TestClient(port: port)
        try client.send("HEAD /__runnel/reload HTTP/1.1\r\nHost: localhost\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(try client.readResponse(head: true).status, 200)
        XCTAssertEqual(try client.readResponse().text, "ok\n")
        XCTAssertEqual(app.reloadHub?.subscriberCount, 1, "only the test's own tab")
    }

    func testAForeignOriginMayNotListen() throws {
        let foreign = try TestClient(port: port)
        try foreign.send("GET /__runnel/reload HTTP/1.1\r\nHost: localhost:\(port)\r\nOrigin: http://evil.example\r\n\r\n")
        let refused = try foreign.readResponse()
        XCTAssertEqual(refused.status, 403)
        XCTAssertTrue(refused.text.contains("http://evil.example"), refused.text)
        let same = try TestClient(port: port)
        try same.send("GET /__runnel/reload HTTP/1.1\r\nHost: localhost:\(port)\r\nOrigin: http://localhost:\(port)\r\n\r\n")
        XCTAssertEqual(try same.readResponse(bodyless: true).status, 200, "the page's own origin")
        let rebound = try TestClient(port: port)
        try rebound.send("GET /__runnel/reload HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        XCTAssertEqual(try rebound.readResponse().status, 403, "the Host check applies as on the API")
    }

    func testStreamsAreCappedWith503() throws {
        let hub = try XCTUnwrap(app.reloadHub)
        var tabs: [TestClient] = []
        while hub.subscriberCount < ReloadHub.maxSubscribers {
            let tab = try TestClient(port: port, timeout: .seconds(5))
            try tab.send("GET /__runnel/reload HTTP/1.1\r\nHost: localhost\r\n\r\n")
            XCTAssertEqual(try tab.readResponse(bodyless: true).status, 200)
            _ = try tab.readLine()  // the hello chunk: subscribed
            tabs.append(tab)
        }
        let overflow = try TestClient(port: port)
        try overflow.send("GET /__runnel/reload HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let refused = try overflow.readResponse()
        XCTAssertEqual(refused.status, 503)
        XCTAssertTrue(refused.text.contains("<pre>Runnel: \(ReloadHub.maxSubscribers) hot-reload streams are open"), refused.text)
        // Rendered by ErrorResponses, as every error is: the error page and the security headers.
        XCTAssertEqual(refused.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertEqual(refused.header("Content-Security-Policy"), SecurityHeaders.contentSecurityPolicy)
        XCTAssertNotNil(refused.header("X-Request-Id"))
        XCTAssertEqual(hub.subscriberCount, ReloadHub.maxSubscribers)

        tabs.removeLast().abort()
        let deadline = ContinuousClock.now + .seconds(5)
        while hub.subscriberCount == ReloadHub.maxSubscribers && ContinuousClock.now < deadline { try events.waitBriefly() }
        let again = try TestClient(port: port)
        try again.send("GET /__runnel/reload HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(try again.readResponse(bodyless: true).status, 200, "a closed tab frees its place")
    }

    func testClientScriptIsServed() throws {
        let client = try TestClient(port: port)
        try client.send("GET /__runnel/client.js HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let script = try client.readResponse()
        XCTAssertEqual(script.status, 200)
        XCTAssertTrue(script.text.contains("EventSource(\"/__runnel/reload\")"))
    }
}

extension TestClient {
    /// Waits up to 20 ms for data without reading it: the pace of a bounded poll on state
    /// that has no event of its own to await.
    func waitBriefly() throws {
        var descriptor = pollfd(fd: fd, events: 0, revents: 0)
        _ = poll(&descriptor, 1, 20)
    }
}
