import Foundation
import HTTPServer
@testable import Runnel
import TestSupport
import Synchronization
import XCTest

/// The access token of a public server, over real sockets (README "Deploying").
final class AccessGateTests: XCTestCase {
    private let token = "test-token-0123456789abcdef"

    /// A server bound to every interface (public), reached over loopback.
    private func startPublic(
        token: String? = "test-token-0123456789abcdef", log: (@Sendable (AccessLogEntry) -> Void)? = nil
    ) throws -> (RunnelApp, Int) {
        try startRunnel {
            $0.host = "0.0.0.0"
            $0.accessToken = token
            $0.server.accessLog = log
        }
    }

    func testTheLoginURLSetsAStrictHttpOnlyCookieAndRedirectsToTheCleanAddress() throws {
        let (_, port) = try startPublic()
        let login = try exchange(port: port, "GET", "/?token=\(token)&x=1")
        XCTAssertEqual(login.status, 303)
        XCTAssertEqual(login.header("Location"), "/?x=1")
        let cookie = try XCTUnwrap(login.header("Set-Cookie"))
        XCTAssertTrue(cookie.hasPrefix("runnel_token=\(token);"), cookie)
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] { XCTAssertTrue(cookie.contains(attribute), cookie) }
        XCTAssertFalse(cookie.contains("Secure"), "plain HTTP, no proxy saying otherwise")

        XCTAssertEqual(try exchange(port: port, "GET", "/", headers: ["Cookie": "other=1; runnel_token=\(token)"]).status, 200)
        XCTAssertEqual(try exchange(port: port, "GET", "/api/backends", headers: ["Cookie": "runnel_token=\(token)"]).status, 200)
        XCTAssertEqual(try exchange(port: port, "GET", "/app.js", headers: ["Cookie": "runnel_token=\(token)"]).status, 200)
    }

    func testABearerTokenOpensTheAPI() throws {
        let (_, port) = try startPublic()
        let transcript = try chat(port: port, ["message": "hi there", "backend": "echo"], headers: ["Authorization": "Bearer \(token)"])
        XCTAssertEqual(transcript.response.status, 200)
        XCTAssertEqual(transcript.end?["full_response"] as? String, "hi there")
        XCTAssertEqual(try exchange(port: port, "GET", "/metrics", headers: ["Authorization": "bearer \(token)"]).status, 200)
    }

    func testAMissingOrWrongTokenIs401JSONOnTheAPIAndALoginPageElsewhere() throws {
        let (_, port) = try startPublic()
        for headers in [[:], ["Authorization": "Bearer wrong-token-0123456789abcdef"], ["Authorization": "Basic \(token)"],
                        ["Authorization": "Bearer \(token)x"], ["Cookie": "runnel_token=\(token.dropLast())"]] {
            let api = try exchange(port: port, "POST", "/api/message", headers: headers, json: #"{"message":"hi"}"#)
            XCTAssertEqual(api.status, 401, "\(headers)")
            XCTAssertEqual(api.errorCode, "unauthorized", api.text)
            XCTAssertEqual(api.header("WWW-Authenticate"), #"Bearer realm="runnel""#)
            XCTAssertNotNil(api.header("X-Request-Id"))
            XCTAssertFalse(api.text.contains(token))
        }
        let page = try exchange(port: port, "GET", "/")
        XCTAssertEqual(page.status, 401)
        XCTAssertTrue(page.header("Content-Type")?.hasPrefix("text/html") == true)
        XCTAssertTrue(page.text.contains(#"<input name="token""#), page.text)
        XCTAssertNotNil(page.header("Content-Security-Policy"))
        XCTAssertEqual(try exchange(port: port, "GET", "/?token=wrong").status, 401)
        XCTAssertEqual(try exchange(port: port, "GET", "/metrics").status, 401, "metrics need the token too")
        XCTAssertEqual(try exchange(port: port, "GET", "/api/replies/\(String(repeating: "a", count: 32))/events").status, 401)
    }

    /// The provider endpoints take the token as each SDK sends its key (README "SDKs"); the
    /// UI's API does not.
    func testTheProviderEndpointsTakeTheTokenAsEachSDKSendsItsKey() throws {
        let (_, port) = try startPublic()
        for header in ["Authorization", "x-api-key", "x-goog-api-key"] {
            let value = header == "Authorization" ? "Bearer \(token)" : token
            XCTAssertEqual(try exchange(port: port, "GET", "/v1/models", headers: [header: value]).status, 200, header)
            let wrong = try exchange(port: port, "GET", "/v1/models", headers: [header: value + "x"])
            XCTAssertEqual(wrong.status, 401, header)
            XCTAssertFalse(wrong.text.contains(token))
        }
        let gemini = try exchange(port: port, "POST", "/v1beta/models/echo:generateContent", headers: ["x-goog-api-key": "nope"],
                                  json: #"{"contents":[{"parts":[{"text":"hi"}]}]}"#)
        XCTAssertEqual(gemini.status, 401)
        XCTAssertTrue(gemini.text.contains("UNAUTHENTICATED"), gemini.text)
        XCTAssertEqual(try exchange(port: port, "POST", "/v1beta/models/echo:generateContent", headers: ["x-goog-api-key": token],
                                    json: #"{"contents":[{"parts":[{"text":"hi"}]}]}"#).status, 200)
        XCTAssertEqual(try exchange(port: port, "GET", "/api/backends", headers: ["x-api-key": token]).status, 401)
        XCTAssertEqual(try exchange(port: port, "GET", "/metrics", headers: ["x-goog-api-key": token]).status, 401)
    }

    func testMalformedCookiesAreNoToken() throws {
        let (_, port) = try startPublic()
        for cookie in ["runnel_token", "=;;==", "runnel_token=", "; ;", "runnel_token =\(token)", String(repeating: "a=b;", count: 500)] {
            let response = try exchange(port: port, "GET", "/api/backends", headers: ["Cookie": cookie])
            XCTAssertEqual(response.status, 401, cookie)
            XCTAssertEqual(response.errorCode, "unauthorized")
        }
    }

    func testHealthzStaysOpen() throws {
        let (_, port) = try startPublic()
        XCTAssertEqual(try exchange(port: port, "GET", "/healthz").text, "ok\n")
    }

    func testAPublicServerWithoutATokenMakesOneOf128Bits() throws {
        let (app, port) = try startPublic(token: nil)
        let made = try XCTUnwrap(app.accessToken)
        XCTAssertTrue(made.isGenerated)
        XCTAssertTrue(ReplyID.isValid(made.value), "32 hex digits: \(made.value)")
        XCTAssertEqual(try exchange(port: port, "GET", "/api/backends").status, 401)
        XCTAssertEqual(try exchange(port: port, "GET", "/api/backends", headers: ["Authorization": "Bearer \(made.value)"]).status, 200)
        let (other, _) = try startPublic(token: nil)
        XCTAssertNotEqual(other.accessToken?.value, made.value)
    }

    func testATooShortTokenIsRefusedAtStart() {
        XCTAssertThrowsError(try startPublic(token: "short")) { error in
            XCTAssertTrue("\(error)".contains("at least 16"), "\(error)")
        }
    }

    func testLoopbackStaysOpen() throws {
        let (app, port) = try startRunnel()
        XCTAssertNil(app.accessToken)
        XCTAssertEqual(try exchange(port: port, "GET", "/").status, 200)
        XCTAssertEqual(try exchange(port: port, "GET", "/api/backends").status, 200)
        XCTAssertEqual(try exchange(port: port, "GET", "/?token=anything").status, 200, "no token asked: the parameter means nothing")
    }

    func testTheTokenNeverReachesTheAccessLog() throws {
        let lines = LockedLines()
        let (_, port) = try startPublic(log: { entry in
            lines.append(AccessLogLine.text(entry))
            lines.append(AccessLogLine.json(entry))
        })
        _ = try exchange(port: port, "GET", "/?token=\(token)")
        _ = try exchange(port: port, "GET", "/?a=1&token=wrong-\(token)")
        _ = try exchange(port: port, "GET", "/api/backends", headers: ["Authorization": "Bearer \(token)"])
        let logged = lines.waitFor(count: 6)
        XCTAssertEqual(logged.count, 6)
        for line in logged { XCTAssertFalse(line.contains(token), line) }
        // Each request may be served on its own loop, so the lines may arrive in any order.
        XCTAssertTrue(logged.contains { $0.contains("/?token=REDACTED 303") }, "\(logged)")
        XCTAssertTrue(logged.contains { $0.contains("/?a=1&token=REDACTED 401") }, "\(logged)")
    }
}

/// Lines an access log callback collects from the server's threads.
final class LockedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }

    /// The lines once there are `count` (the log is written after the response is sent).
    func waitFor(count: Int, timeout: Duration = .seconds(5)) -> [String] {
        let deadline = ContinuousClock.now + timeout
        while all.count < count, ContinuousClock.now < deadline { usleep(2000) }
        return all
    }
}
