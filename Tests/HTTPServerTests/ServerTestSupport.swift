import HTTPServer
import Sockets
import Synchronization
import TestSupport
import XCTest

/// Things a test's handlers report, each observable with an expectation.
final class Probe: Sendable {
    let cancelled = Lock<ContinuousClock.Instant?>(nil)
    let written = Atomic<Int>(0)
    let cancelledExpectation = XCTestExpectation(description: "producer cancelled")
}

extension XCTestCase {
    /// Starts a server on 127.0.0.1 port 0 with `router`, stopped at the end of the test.
    func startServer(
        _ router: Router, configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> (HTTPServer, Int) {
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.shutdownGracePeriod = .milliseconds(300)
        configuration.shutdownCancelGracePeriod = .milliseconds(300)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, handler: router)
        let port = try server.start()
        stopAtTearDown(server) { await $0.shutdown() }
        return (server, port)
    }

    /// A router with the small routes the server tests exercise.
    func makeTestRouter(probe: Probe = Probe()) -> Router {
        var router = Router()
        router.add(.get, "/hello") { _ in .text("hello") }
        router.add(.post, "/echo", maxBodySize: 1024) { request in
            Response(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
        }
        router.add(.get, "/events") { request in
            let count = Int(request.head.query?.split(separator: "=").last ?? "3") ?? 3
            return Response(headers: ["Content-Type": "text/event-stream"]) { writer in
                for index in 0..<count { try await writer.write(ServerSentEvent.data("event \(index)")) }
            }
        }
        router.add(.get, "/flood") { _ in
            Response(headers: ["Content-Type": "application/octet-stream"]) { writer in
                let piece = [UInt8](repeating: 0x61, count: 64 * 1024)
                for _ in 0..<128 {
                    try await writer.write(piece)
                    probe.written.add(piece.count, ordering: .relaxed)
                }
            }
        }
        router.add(.get, "/hang") { _ in
            Response(headers: ["Content-Type": "text/event-stream"]) { writer in
                try await writer.write(ServerSentEvent.data("started"))
                do {
                    try await waitUntilCancelled()
                } catch {
                    probe.cancelled.withLock { $0 = .now }
                    probe.cancelledExpectation.fulfill()
                    if writer.isShuttingDown { try await writer.write(ServerSentEvent.data("shutting down")) }
                    throw error
                }
            }
        }
        router.add(.get, "/polite") { _ in
            Response(headers: ["Content-Type": "text/event-stream"]) { writer in
                while !writer.isShuttingDown {
                    try await writer.write(ServerSentEvent.data("tick"))
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await writer.write(ServerSentEvent.data("bye"))
            }
        }
        return router
    }
}

/// Suspends until the task is cancelled, then throws `CancellationError`: a producer
/// whose backend never answers.
func waitUntilCancelled() async throws {
    let (never, continuation) = AsyncStream<Never>.makeStream()
    for await _ in never {}  // an AsyncStream's iteration ends when its task is cancelled
    continuation.finish()
    throw CancellationError()
}
