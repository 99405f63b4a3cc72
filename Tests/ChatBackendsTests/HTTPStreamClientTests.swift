import Foundation
import TestSupport
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
@testable import ChatBackends

final class HTTPStreamClientTests: XCTestCase {
    let quick = UpstreamTimeouts(connect: 5, firstByte: 5, idle: 5)

    func post(_ url: String) -> URLRequest {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("yes", forHTTPHeaderField: "X-Test")
        return request
    }

    func testStreamsHeadThenBodyAndSendsTheRequest() async throws {
        let server = try fakeUpstream([.head(extraHeaders: ["X-Upstream: 1"]), .text("hello "), .text("world")])
        let body = Data(#"{"big":"\#(String(repeating: "x", count: 5000))"}"#.utf8)
        var status: Int?
        var headers: [String: String] = [:]
        var received = Data()
        for try await part in HTTPStreamClient.stream(post(server.baseURL + "/v1/x?y=1"), body: body, timeouts: quick, label: "test") {
            switch part {
            case .head(let code, let fields): status = code; headers = fields
            case .body(let data): received += data
            }
        }
        XCTAssertEqual(status, 200)
        XCTAssertEqual(headers["x-upstream"], "1")
        XCTAssertEqual(String(decoding: received, as: UTF8.self), "hello world")
        let request = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.target, "/v1/x?y=1")
        XCTAssertEqual(request.headers["x-test"], "yes")
        XCTAssertEqual(request.body, body)
    }

    func testBodyArrivesAsItIsSentNotAtTheEnd() async throws {
        // The server writes the second part only after the client has seen the first,
        // so this completes only if reads are delivered as they happen.
        let server = try fakeUpstream([.head(), .text("first"), .waitForSignal, .text("second")])
        var received = ""
        for try await part in HTTPStreamClient.stream(post(server.baseURL), body: Data(), timeouts: quick, label: "test") {
            guard case .body(let data) = part else { continue }
            received += String(decoding: data, as: UTF8.self)
            if received == "first" { server.signal() }
        }
        XCTAssertEqual(received, "firstsecond")
    }

    func testCancellingTheConsumerClosesTheConnection() async throws {
        let server = try fakeUpstream([.head(), .text("part"), .awaitClientClose])
        let stream = HTTPStreamClient.stream(post(server.baseURL), body: Data(), timeouts: quick, label: "test")
        let gotBody = expectation(description: "first body part")
        let consumer = Task {
            for try await part in stream { if case .body = part { gotBody.fulfill() } }
        }
        await fulfillment(of: [gotBody], timeout: 5)
        let cancelledAt = ContinuousClock.now
        consumer.cancel()
        await fulfillment(of: [server.clientClosed], timeout: 1)
        let closedAt = try XCTUnwrap(server.closedAt)
        let elapsedMs = Double((closedAt - cancelledAt).components.attoseconds) / 1e15 + Double((closedAt - cancelledAt).components.seconds) * 1000
        print("HTTPStreamClient: upstream saw the close \(elapsedMs) ms after cancel")
        XCTAssertLessThan(elapsedMs, 1000)
    }

    func testConnectionRefusedIsUnavailable() async throws {
        let port = try unusedPort()
        let error = await failure(of: HTTPStreamClient.stream(post("http://127.0.0.1:\(port)/v1"), body: Data(), timeouts: quick, label: "test"))
        XCTAssertEqual(error?.code, .upstreamUnavailable)
        XCTAssertTrue(error?.message.contains("127.0.0.1:\(port)") ?? false, error?.message ?? "")
    }

    func testSilentServerHitsTheFirstByteTimeout() async throws {
        let server = try fakeUpstream([.awaitClientClose])
        let timeouts = UpstreamTimeouts(connect: 5, firstByte: 0.3, idle: 5)
        let start = ContinuousClock.now
        let error = await failure(of: HTTPStreamClient.stream(post(server.baseURL), body: Data("{}".utf8), timeouts: timeouts, label: "test"))
        XCTAssertEqual(error?.code, .upstreamTimeout)
        XCTAssertTrue(error?.message.contains("did not start responding within 300 ms") ?? false, error?.message ?? "")
        XCTAssertGreaterThanOrEqual(millisecondsSince(start), 290)
        await fulfillment(of: [server.clientClosed], timeout: 1)
    }

    func testUnansweredConnectHitsTheConnectTimeout() async throws {
        // A listener with a full accept queue drops new SYNs, so connecting hangs: the
        // loopback stand-in for an unreachable host.
        let (listener, port) = try saturatedListener()
        defer { listener.forEach { close($0) } }
        let timeouts = UpstreamTimeouts(connect: 0.3, firstByte: 5, idle: 5)
        let error = await failure(of: HTTPStreamClient.stream(post("http://127.0.0.1:\(port)"), body: Data("{}".utf8), timeouts: timeouts, label: "test"))
        XCTAssertEqual(error?.code, .upstreamTimeout)
        XCTAssertTrue(error?.message.contains("could not connect") ?? false, error?.message ?? "")
    }

    func testStalledBodyHitsTheIdleTimeout() async throws {
        let server = try fakeUpstream([.head(), .text("data: partial\n\n"), .awaitClientClose])
        let timeouts = UpstreamTimeouts(connect: 5, firstByte: 5, idle: 0.3)
        let error = await failure(of: HTTPStreamClient.stream(post(server.baseURL), body: Data(), timeouts: timeouts, label: "test"))
        XCTAssertEqual(error?.code, .upstreamTimeout)
        XCTAssertTrue(error?.message.contains("stopped sending for 300 ms") ?? false, error?.message ?? "")
        await fulfillment(of: [server.clientClosed], timeout: 1)
    }

    func testRedirectsAreNotFollowed() async throws {
        let server = try fakeUpstream([.head(status: 307, reason: "Temporary Redirect", contentType: "text/plain",
                                             extraHeaders: ["Location: http://127.0.0.1:1/elsewhere", "Content-Length: 0"])])
        var statuses: [Int] = []
        for try await part in HTTPStreamClient.stream(post(server.baseURL), body: Data(), timeouts: quick, label: "test") {
            if case .head(let status, _) = part { statuses.append(status) }
        }
        XCTAssertEqual(statuses, [307])
        XCTAssertEqual(server.requests.count, 1)
    }

    func testBackstopIsLaterThanEveryWatchdogLimit() {
        XCTAssertEqual(HTTPStreamClient.backstop(UpstreamTimeouts(connect: 0.3, firstByte: 0.3, idle: 0.3)), 31)
        XCTAssertEqual(HTTPStreamClient.backstop(UpstreamTimeouts()), 90)
        XCTAssertEqual(HTTPStreamClient.backstop(UpstreamTimeouts(idle: .infinity)), 86_430)
    }

    // MARK: - Helpers

    /// The error that ends `stream`, draining any parts before it.
    func failure(of stream: AsyncThrowingStream<UpstreamPart, Error>) async -> ChatBackendError? {
        do {
            for try await _ in stream {}
            return nil
        } catch {
            return error as? ChatBackendError
        }
    }
}

/// A loopback port nothing listens on: bind port 0, note the port, close.
func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard ok else { throw POSIXError(.EADDRNOTAVAIL) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A listener (backlog 0, never accepting) whose queue is already full, plus the
/// sockets filling it; close them all when done.
func saturatedListener() throws -> (fds: [Int32], port: Int) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
        }
    }
    guard ok else { throw POSIXError(.EADDRNOTAVAIL) }
    var fds = [listener]
    // Linux queues backlog + 1 connections; a few more make sure the queue is full.
    for _ in 0..<3 {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue), 0)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, length) }
        }
        fds.append(client)
    }
    return (fds, Int(UInt16(bigEndian: address.sin_port)))
}
