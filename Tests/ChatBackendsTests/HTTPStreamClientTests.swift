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

    /// Both transports: the event loops (`http://` by default) and the shared URLSession.
    let transports = HTTPStreamClient.Transport.allCases

    func stream(_ request: URLRequest, body: Data = Data(), timeouts: UpstreamTimeouts? = nil,
                _ transport: HTTPStreamClient.Transport) -> UpstreamResponse {
        HTTPStreamClient.stream(request, body: body, timeouts: timeouts ?? quick, label: "test", transport: transport)
    }

    func testStreamsHeadThenBodyAndSendsTheRequest() async throws {
        for transport in transports {
            let server = try fakeUpstream([.head(extraHeaders: ["X-Upstream: 1"]), .text("hello "), .text("world")])
            let body = Data(#"{"big":"\#(String(repeating: "x", count: 5000))"}"#.utf8)
            var status: Int?
            var headers: [String: String] = [:]
            var received = Data()
            for try await part in stream(post(server.baseURL + "/v1/x?y=1"), body: body, transport) {
                switch part {
                case .head(let code, let fields): status = code; headers = fields
                case .body(let data): received += data
                }
            }
            XCTAssertEqual(status, 200, "\(transport)")
            XCTAssertEqual(headers["x-upstream"], "1", "\(transport)")
            XCTAssertEqual(String(decoding: received, as: UTF8.self), "hello world", "\(transport)")
            let request = try XCTUnwrap(server.requests.first)
            XCTAssertEqual(request.method, "POST")
            XCTAssertEqual(request.target, "/v1/x?y=1")
            XCTAssertEqual(request.headers["x-test"], "yes")
            XCTAssertEqual(request.headers["host"], "127.0.0.1:\(server.port)")
            XCTAssertEqual(request.body, body, "\(transport)")
        }
    }

    func testBodyArrivesAsItIsSentNotAtTheEnd() async throws {
        for transport in transports {
            // The server writes the second part only after the client has seen the first,
            // so this completes only if reads are delivered as they happen.
            let server = try fakeUpstream([.head(), .text("first"), .waitForSignal, .text("second")])
            var received = ""
            for try await part in stream(post(server.baseURL), transport) {
                guard case .body(let data) = part else { continue }
                received += String(decoding: data, as: UTF8.self)
                if received == "first" { server.signal() }
            }
            XCTAssertEqual(received, "firstsecond", "\(transport)")
        }
    }

    func testCancellingTheConsumerClosesTheConnectionWithin100ms() async throws {
        for transport in transports {
            let server = try fakeUpstream([.head(), .text("part"), .awaitClientClose])
            let elapsed = try await cancelAfterFirstBody(stream(post(server.baseURL), transport), server: server)
            print("HTTPStreamClient (\(transport)): upstream saw the close \(elapsed) ms after cancel")
            XCTAssertLessThan(elapsed, 100, "\(transport)")
        }
    }

    func testConnectionRefusedIsUnavailable() async throws {
        for transport in transports {
            let port = try unusedPort()
            let error = await failure(of: stream(post("http://127.0.0.1:\(port)/v1"), transport))
            XCTAssertEqual(error?.code, .upstreamUnavailable, "\(transport)")
            XCTAssertTrue(error?.message.contains("cannot connect to http://127.0.0.1:\(port)") ?? false, error?.message ?? "")
        }
    }

    func testUnknownHostIsUnavailable() async throws {
        for transport in transports {
            let error = await failure(of: stream(post("http://nosuchhost.invalid/v1"), transport))
            XCTAssertEqual(error?.code, .upstreamUnavailable, "\(transport)")
            XCTAssertTrue(error?.message.contains("cannot resolve the host of http://nosuchhost.invalid") ?? false, error?.message ?? "")
        }
    }

    func testTLSFailureIsUnavailable() async throws {
        // A plain-text answer to the TLS handshake.
        let server = try fakeUpstream([.text("HTTP/1.1 400 Bad Request\r\n\r\nnot tls")], readsRequest: false)
        let error = await failure(of: stream(post("https://127.0.0.1:\(server.port)/v1"), .automatic))
        XCTAssertEqual(error?.code, .upstreamUnavailable)
        XCTAssertTrue(error?.message.contains("https://127.0.0.1:\(server.port)") ?? false, error?.message ?? "")
    }

    func testSilentServerHitsTheFirstByteTimeout() async throws {
        for transport in transports {
            let server = try fakeUpstream([.awaitClientClose])
            let timeouts = UpstreamTimeouts(connect: 5, firstByte: 0.3, idle: 5)
            let start = ContinuousClock.now
            let error = await failure(of: stream(post(server.baseURL), body: Data("{}".utf8), timeouts: timeouts, transport))
            XCTAssertEqual(error?.code, .upstreamTimeout, "\(transport)")
            XCTAssertTrue(error?.message.contains("did not start responding within 300 ms") ?? false, error?.message ?? "")
            XCTAssertGreaterThanOrEqual(millisecondsSince(start), 290)
            await fulfillment(of: [server.clientClosed], timeout: 1)
        }
    }

    func testUnansweredConnectHitsTheConnectTimeout() async throws {
        for transport in transports {
            // A listener with a full accept queue drops new SYNs, so connecting hangs: the
            // loopback stand-in for an unreachable host.
            let (listener, port) = try saturatedListener()
            defer { listener.forEach { close($0) } }
            let timeouts = UpstreamTimeouts(connect: 0.3, firstByte: 5, idle: 5)
            let error = await failure(of: stream(post("http://127.0.0.1:\(port)"), body: Data("{}".utf8), timeouts: timeouts, transport))
            XCTAssertEqual(error?.code, .upstreamTimeout, "\(transport)")
            XCTAssertTrue(error?.message.contains("could not connect") ?? false, error?.message ?? "")
        }
    }

    func testStalledBodyHitsTheIdleTimeout() async throws {
        for transport in transports {
            let server = try fakeUpstream([.head(), .text("data: partial\n\n"), .awaitClientClose])
            let timeouts = UpstreamTimeouts(connect: 5, firstByte: 5, idle: 0.3)
            let error = await failure(of: stream(post(server.baseURL), timeouts: timeouts, transport))
            XCTAssertEqual(error?.code, .upstreamTimeout, "\(transport)")
            XCTAssertTrue(error?.message.contains("stopped sending for 300 ms") ?? false, error?.message ?? "")
            await fulfillment(of: [server.clientClosed], timeout: 1)
        }
    }

    func testRedirectsAreNotFollowed() async throws {
        for transport in transports {
            let server = try fakeUpstream([.head(status: 307, reason: "Temporary Redirect", contentType: "text/plain",
                                                 extraHeaders: ["Location: http://127.0.0.1:1/elsewhere", "Content-Length: 0"])])
            var statuses: [Int] = []
            for try await part in stream(post(server.baseURL), transport) {
                if case .head(let status, _) = part { statuses.append(status) }
            }
            XCTAssertEqual(statuses, [307], "\(transport)")
            XCTAssertEqual(server.requests.count, 1, "\(transport)")
        }
    }

    func testBackstopIsLaterThanEveryWatchdogLimit() {
        XCTAssertEqual(SessionStreamClient.backstop(UpstreamTimeouts(connect: 0.3, firstByte: 0.3, idle: 0.3)), 31)
        XCTAssertEqual(SessionStreamClient.backstop(UpstreamTimeouts()), 90)
        XCTAssertEqual(SessionStreamClient.backstop(UpstreamTimeouts(idle: .infinity)), 86_430)
    }

    // MARK: - Connection reuse (event loops)

    func testSecondCallReusesTheConnection() async throws {
        let server = try fakeUpstream([.keepAliveHead(contentLength: 5), .text("hello")], keepAlive: true)
        for _ in 0..<3 {
            let received = try await Self.text(of: stream(post(server.baseURL), .automatic))
            XCTAssertEqual(received, "hello")
        }
        XCTAssertEqual(server.requests.count, 3)
        XCTAssertEqual(server.acceptedConnections, 1)
    }

    func testChunkedResponseEndedByTheProviderMarkerIsReused() async throws {
        // The consumer stops at the end marker; the chunked body's end is already in
        // the socket, so the connection still goes back to the pool.
        // The marker and the body's end leave in one write, as a provider's last event does.
        let ending = "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n"
        let server = try fakeUpstream([.keepAliveHead(), .text(ending)], keepAlive: true)
        let upstream = HTTP1ConnectionPool.Upstream(host: "127.0.0.1", port: server.port)
        for _ in 0..<2 {
            let response = stream(post(server.baseURL), .automatic)
            for try await part in response {
                if case .body(let data) = part, String(decoding: data, as: UTF8.self).contains("[DONE]") { break }
            }
            response.finish()
            XCTAssertEqual(HTTP1ConnectionPool.shared.idleCount(upstream), 1, "back in the pool as finish returns")
        }
        XCTAssertEqual(server.requests.count, 2)
        XCTAssertEqual(server.acceptedConnections, 1)
    }

    func testFinishingBeforeTheEndClosesTheConnectionAtOnce() async throws {
        let server = try fakeUpstream([.keepAliveHead(), .chunk("part"), .awaitClientClose], keepAlive: true)
        let upstream = HTTP1ConnectionPool.Upstream(host: "127.0.0.1", port: server.port)
        let response = stream(post(server.baseURL), .automatic)
        for try await part in response {
            if case .body = part { break }
        }
        response.finish()
        await fulfillment(of: [server.clientClosed], timeout: 5)
        XCTAssertEqual(HTTP1ConnectionPool.shared.idleCount(upstream), 0, "not pooled: its response had not ended")
    }

    func testCancelledCallsConnectionIsNotReused() async throws {
        let server = try fakeUpstream([.keepAliveHead(), .chunk("part"), .awaitClientClose], keepAlive: true)
        _ = try await cancelAfterFirstBody(stream(post(server.baseURL), .automatic), server: server)
        _ = try await cancelAfterFirstBody(stream(post(server.baseURL), .automatic), server: server)
        XCTAssertEqual(server.acceptedConnections, 2)
    }

    func testConnectionClosedByTheUpstreamIsNotReused() async throws {
        // Keep-alive framing, but the server closes after each response: the pooled
        // connection is seen closed and the next call opens another.
        let server = try fakeUpstream([.keepAliveHead(contentLength: 2), .text("ok")])
        let first = try await Self.text(of: stream(post(server.baseURL), .automatic))
        // Whether or not the pool has seen the close yet, the next call gets a live connection.
        let second = try await Self.text(of: stream(post(server.baseURL), .automatic))
        XCTAssertEqual([first, second], ["ok", "ok"])
        XCTAssertEqual(server.acceptedConnections, 2)
    }

    func testBurstOf200ConcurrentStreamsAllComplete() async throws {
        let events = (1...20).map { "data: {\"n\":\($0)}\n\n" }
        let server = try fakeUpstream([.keepAliveHead()] + events.map { .chunk($0) } + [.lastChunk], keepAlive: true, concurrent: true)
        let expected = events.joined()
        let request = post(server.baseURL)
        let timeouts = quick
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await Self.text(of: HTTPStreamClient.stream(request, body: Data(), timeouts: timeouts, label: "test"))
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        XCTAssertEqual(results.count, 200)
        XCTAssertEqual(results.filter { $0 == expected }.count, 200)
        XCTAssertEqual(server.requests.count, 200)
        XCTAssertLessThanOrEqual(server.acceptedConnections, 200)
    }

    // MARK: - Helpers

    /// Waits (yielding, never sleeping) until `condition` holds, for 5 s at most.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        let giveUp = ContinuousClock.now + .seconds(5)
        while !condition() && .now < giveUp { await Task.yield() }
        return condition()
    }

    /// The body of a successful response as text.
    static func text(of response: UpstreamResponse) async throws -> String {
        var received = Data()
        for try await part in response {
            if case .body(let data) = part { received += data }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Cancels the consumer after the first body piece; milliseconds until the upstream saw the close.
    func cancelAfterFirstBody(_ response: UpstreamResponse, server: FakeUpstream) async throws -> Double {
        let gotBody = expectation(description: "first body part")
        let consumer = Task {
            for try await part in response { if case .body = part { gotBody.fulfill() } }
        }
        await fulfillment(of: [gotBody], timeout: 5)
        let before = server.closedAt
        let cancelledAt = ContinuousClock.now
        consumer.cancel()
        let giveUp = cancelledAt + .seconds(1)
        while server.closedAt == before && .now < giveUp { await Task.yield() }
        let closedAt = try XCTUnwrap(server.closedAt)
        return Double((closedAt - cancelledAt).components.attoseconds) / 1e15 + Double((closedAt - cancelledAt).components.seconds) * 1000
    }

    /// The error that ends `stream`, draining any parts before it.
    func failure(of stream: UpstreamResponse) async -> ChatBackendError? {
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
