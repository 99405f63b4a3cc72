import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import ChatBackends

final class UpstreamFailureTests: XCTestCase {
    func testStatusCodes() {
        XCTAssertEqual(UpstreamFailure.code(forStatus: 401), .upstreamAuth)
        XCTAssertEqual(UpstreamFailure.code(forStatus: 403), .upstreamAuth)
        XCTAssertEqual(UpstreamFailure.code(forStatus: 429), .upstreamRateLimited)
        XCTAssertEqual(UpstreamFailure.code(forStatus: 408), .upstreamTimeout)
        XCTAssertEqual(UpstreamFailure.code(forStatus: 500), .upstreamUnavailable)
        XCTAssertEqual(UpstreamFailure.code(forStatus: 529), .upstreamUnavailable)
        XCTAssertEqual(UpstreamFailure.code(forStatus: 400), .upstreamProtocol)
        XCTAssertEqual(UpstreamFailure.code(forStatus: 302), .upstreamProtocol)
    }

    func testProviderMessageShapes() {
        func message(_ json: String) -> String? { UpstreamFailure.providerMessage(in: Data(json.utf8)) }
        XCTAssertEqual(message(#"{"error":{"message":"a","type":"t"}}"#), "a")
        XCTAssertEqual(message(#"{"error":{"type":"only_type"}}"#), "only_type")
        XCTAssertEqual(message(#"{"error":"plain"}"#), "plain")
        XCTAssertEqual(message(#"[{"error":{"code":429,"message":"g"}}]"#), "g")
        XCTAssertEqual(message(#"{"detail":"d"}"#), "d")
        XCTAssertNil(message("not json"))
    }

    func testPlainTextBodyIsQuotedButHTMLIsNot() {
        let text = UpstreamFailure.httpStatus(502, body: Data("upstream connect error\n".utf8), label: "x", secrets: [])
        XCTAssertEqual(text, ChatBackendError(.upstreamUnavailable, "x: HTTP 502: upstream connect error"))
        let html = UpstreamFailure.httpStatus(502, body: Data("<html><body>Bad gateway</body></html>".utf8), label: "x", secrets: [])
        XCTAssertEqual(html.message, "x: HTTP 502")
    }

    func testRedirectAndBadKeyHints() {
        XCTAssertEqual(UpstreamFailure.httpStatus(301, body: Data(), label: "x", secrets: []).message,
                       "x: HTTP 301 (redirects are not followed; check the base URL)")
        XCTAssertEqual(UpstreamFailure.httpStatus(401, body: Data(), label: "x", secrets: []).message, "x: HTTP 401 (check the API key)")
    }

    func testQuotesAreOneLineBoundedAndRedacted() {
        let long = String(repeating: "é", count: 1000)
        XCTAssertEqual(UpstreamFailure.quote(long, secrets: []).count, UpstreamFailure.maxQuotedMessage + 1)
        XCTAssertEqual(UpstreamFailure.quote("a\nb", secrets: []), "a b")
        XCTAssertEqual(UpstreamFailure.quote("key was my-own-key-123456", secrets: ["my-own-key-123456"]), "key was [redacted]")
    }

    func testTransportErrors() {
        let url = URL(string: "http://user:pass@127.0.0.1:9/v1/x?key=secret")
        let refused = UpstreamFailure.transport(URLError(.cannotConnectToHost), label: "openai", url: url)
        XCTAssertEqual(refused.code, .upstreamUnavailable)
        XCTAssertEqual(refused.message, "openai: cannot connect to http://127.0.0.1:9/v1/x (connection refused or unreachable)")
        XCTAssertEqual(UpstreamFailure.transport(URLError(.timedOut), label: "l", url: url).code, .upstreamTimeout)
        XCTAssertEqual(UpstreamFailure.transport(URLError(.badServerResponse), label: "l", url: url).code, .upstreamProtocol)
        XCTAssertEqual(UpstreamFailure.transport(URLError(.networkConnectionLost), label: "l", url: url).code, .upstreamUnavailable)
    }

    func testInStreamErrorNamesAcrossProviders() {
        XCTAssertEqual(StreamPayload.errorCode(kind: "authentication_error", status: nil), .upstreamAuth)
        XCTAssertEqual(StreamPayload.errorCode(kind: "PERMISSION_DENIED", status: nil), .upstreamAuth)
        XCTAssertEqual(StreamPayload.errorCode(kind: "rate_limit_error", status: nil), .upstreamRateLimited)
        XCTAssertEqual(StreamPayload.errorCode(kind: "insufficient_quota", status: nil), .upstreamRateLimited)
        XCTAssertEqual(StreamPayload.errorCode(kind: "RESOURCE_EXHAUSTED", status: nil), .upstreamRateLimited)
        XCTAssertEqual(StreamPayload.errorCode(kind: "DEADLINE_EXCEEDED", status: nil), .upstreamTimeout)
        XCTAssertEqual(StreamPayload.errorCode(kind: "invalid_request_error", status: nil), .upstreamProtocol)
        XCTAssertEqual(StreamPayload.errorCode(kind: "overloaded_error", status: nil), .upstreamUnavailable)
        XCTAssertEqual(StreamPayload.errorCode(kind: nil, status: 429), .upstreamRateLimited)
        XCTAssertEqual(StreamPayload.errorCode(kind: "something_new", status: nil), .upstreamUnavailable)
    }
}
