import HTTPServer
import TestSupport
import XCTest

/// End-to-end over real loopback sockets: keep-alive, pipelining, bodies, HTTP/1.0.
final class HTTPServerTests: XCTestCase {
    func testHealthyGetAndKeepAliveReuse() throws {
        let (server, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        for _ in 0..<3 {
            try client.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.text, "hello")
            XCTAssertNil(response.header("Connection"))
        }
        XCTAssertEqual(server.connectionCount, 1, "three requests on one connection")
    }

    func testTenPipelinedRequestsAnsweredInOrder() throws {
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        let requests = (0..<10).map { index in
            "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \(String(index).count)\r\n\r\n\(index)"
        }.joined()
        try client.send(requests)
        for index in 0..<10 {
            XCTAssertEqual(try client.readResponse().text, String(index))
        }
    }

    func testChunkedRequestBody() throws {
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        try client.send("6\r\n world\r\n0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "hello world")
    }

    func testExpectContinue() throws {
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try client.readLine(), "HTTP/1.1 100 Continue")
        XCTAssertEqual(try client.readLine(), "")
        try client.send("ok")
        XCTAssertEqual(try client.readResponse().text, "ok")
    }

    func testHTTP10ClosesAndStreamsUntilClose() throws {
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send("GET /events?n=2 HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.statusLine, "HTTP/1.0 200 OK")
        XCTAssertNil(response.header("Transfer-Encoding"))
        XCTAssertEqual(response.text, "data: event 0\n\ndata: event 1\n\n")
        XCTAssertTrue(client.isAtEOF)
    }

    func testHeadSendsNoBody() throws {
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send("HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let head = try client.readResponse(head: true)
        XCTAssertEqual(head.header("Content-Length"), "5")
        XCTAssertEqual(try client.readResponse().text, "hello", "the next response starts right after the head")
    }

    func testMethodsAndRoutes() throws {
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send("DELETE /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let wrong = try client.readResponse()
        XCTAssertEqual(wrong.status, 405)
        XCTAssertEqual(wrong.header("Allow"), "GET, HEAD")
        try client.send("GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 404)
        try client.send("BREW /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        let unknown = try client.readResponse()
        XCTAssertEqual(unknown.status, 501)
        XCTAssertEqual(unknown.header("Connection"), "close")
    }

    func testStreamedResponseIsChunkedAndConnectionReusable() throws {
        let (_, port) = try startServer(makeTestRouter())
        let client = try TestClient(port: port)
        try client.send("GET /events?n=100 HTTP/1.1\r\nHost: h\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.header("Transfer-Encoding"), "chunked")
        XCTAssertEqual(response.text.components(separatedBy: "\n\n").count - 1, 100)
        try client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "hello")
    }

    func testIPv6Loopback() throws {
        let (_, port) = try startServer(makeTestRouter()) { $0.host = "::1" }
        let client = try TestClient(port: port, host: "::1")
        try client.send("GET /hello HTTP/1.1\r\nHost: [::1]\r\n\r\n")
        XCTAssertEqual(try client.readResponse().text, "hello")
    }

    func testBusyPortIsReported() throws {
        let (_, port) = try startServer(makeTestRouter())
        let second = HTTPServer(configuration: ServerConfiguration(host: "127.0.0.1", port: port), handler: makeTestRouter())
        XCTAssertThrowsError(try second.start()) { error in
            XCTAssertEqual(error as? SocketError, .addressInUse(port: port))
        }
    }
}
