@testable import HTTPServer
@testable import Sockets
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The loop over a socketpair: no network, exact control of readiness.
final class PollerTests: XCTestCase {
    /// A socketpair closed at teardown, except the remote end when the test closes it
    /// itself (closing a number twice could close a socket another test's loop just opened).
    private func makePair(testClosesRemote: Bool = false) throws -> (Socket, Socket) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else {
            throw SocketError.fromErrno("socketpair")
        }
        let pair = (Socket(fd: fds[0]), Socket(fd: fds[1]))
        addTeardownBlock {
            pair.0.close()
            if !testClosesRemote { pair.1.close() }
        }
        return pair
    }

    private func makePoller() throws -> EventLoop {
        let loop = try EventLoop()
        stopAtTearDown(loop) { $0.stop() }
        return loop
    }

    /// A read wait on a silent socket ends with `.timedOut`, not before `timeout`.
    private func assertReadTimesOut(
        _ loop: EventLoop, _ socket: Socket, after timeout: Duration, file: StaticString = #filePath, line: UInt = #line
    ) async {
        let start = ContinuousClock.now
        do {
            try await loop.waitReadable(socket, deadline: .now + timeout)
            XCTFail("nothing was sent", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? SocketError, .timedOut, file: file, line: line)
            XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, timeout, file: file, line: line)
        }
    }

    func testReadinessArrivingBeforeTheWaitIsNotLost() async throws {
        let loop = try makePoller()
        let (local, remote) = try makePair()
        try loop.register(local)
        _ = try [UInt8]("x".utf8).withUnsafeBytes { try remote.send($0) }
        // The event was latched while nobody waited: the wait returns at once.
        try await loop.waitReadable(local, deadline: .now + .seconds(5))
        var byte: UInt8 = 0
        let count = try withUnsafeMutableBytes(of: &byte) { try local.read(into: $0) }
        XCTAssertEqual(count, 1)
    }

    func testWaitWakesWhenDataArrivesLater() async throws {
        let loop = try makePoller()
        let (local, remote) = try makePair()
        try loop.register(local)
        try await loop.waitWritable(local)  // consume the initial writable latch
        async let woke: Void = loop.waitReadable(local, deadline: .now + .seconds(5))
        await Task.yield()
        _ = try [UInt8]("y".utf8).withUnsafeBytes { try remote.send($0) }
        try await woke
    }

    func testDeadlinePassesWithTimedOut() async throws {
        let loop = try makePoller()
        let (local, _) = try makePair()
        try loop.register(local)
        await assertReadTimesOut(loop, local, after: .milliseconds(150))
    }

    func testHangUpCallsTheHandlerAndDeregisterFailsWaits() async throws {
        let loop = try makePoller()
        let (local, remote) = try makePair(testClosesRemote: true)
        try loop.register(local)
        let hungUp = expectation(description: "hang-up handler")
        loop.onHangUp(local) { hungUp.fulfill() }
        remote.close()
        await fulfillment(of: [hungUp], timeout: 5)
        XCTAssertTrue(loop.hasHungUp(local))

        let (other, _) = try makePair()
        try loop.register(other)
        async let waiting: Void = loop.waitReadable(other, deadline: .now + .seconds(5))
        await Task.yield()
        loop.deregister(other)
        do { try await waiting; XCTFail("deregistered") } catch SocketError.closed {}
    }

    /// Fills `socket`'s send buffer (the peer reads nothing), so the next write must wait.
    private func fill(_ socket: Socket) throws {
        let piece = [UInt8](repeating: 0x61, count: 64 * 1024)
        while true {
            do {
                _ = try piece.withUnsafeBytes { try socket.send($0) }
            } catch SocketError.blocked {
                return
            }
        }
    }

    func testWriteDeadlinePassesWithTimedOut() async throws {
        let loop = try makePoller()
        let (local, _) = try makePair()
        try loop.register(local)
        try await loop.waitWritable(local)  // the writable edge seen at registration
        try fill(local)
        do {
            try await loop.waitWritable(local, deadline: .now + .milliseconds(100))
            XCTFail("the peer never reads")
        } catch SocketError.timedOut {}
        let waiting = Task { try await loop.waitWritable(local, deadline: .now + .seconds(30)) }
        waiting.cancel()
        do { try await waiting.value; XCTFail("cancelled") } catch is CancellationError {}
    }

    func testAnEndedWaitsDeadlineDoesNotEndTheNextWait() async throws {
        let loop = try makePoller()
        let (local, remote) = try makePair()
        try loop.register(local)
        try await loop.waitWritable(local)
        async let first: Void = loop.waitReadable(local, deadline: .now + .milliseconds(50))
        await Task.yield()
        _ = try [UInt8]("z".utf8).withUnsafeBytes { try remote.send($0) }
        try await first
        // The first wait's deadline is still filed; it must not end this one.
        await assertReadTimesOut(loop, local, after: .milliseconds(300))
    }

    func testInterruptBeforeTheWaitIsLatched() async throws {
        let loop = try makePoller()
        let (local, _) = try makePair()
        try loop.register(local)
        loop.interruptRead(local, with: .closed)
        do { try await loop.waitReadable(local); XCTFail("interrupted") } catch SocketError.closed {}
    }
}

/// `EventLoop.sleep(until:)`: a wait on the loop's timer heap.
final class EventLoopSleepTests: XCTestCase {
    func testSleepEndsAtItsDeadlineOnTheLoop() async throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let deadline = ContinuousClock.now + .milliseconds(30)
        let onLoop = try await Task(executorPreference: loop) {
            try await loop.sleep(until: deadline)
            return EventLoop.current === loop
        }.value
        XCTAssertGreaterThanOrEqual(ContinuousClock.now, deadline, "not before its deadline")
        XCTAssertTrue(onLoop, "resumed on the loop")
    }

    func testCancellationEndsTheSleep() async throws {
        let loop = try EventLoop()
        defer { loop.stop() }
        let sleeper = Task(executorPreference: loop) { try await loop.sleep(until: .now + .seconds(3600)) }
        sleeper.cancel()
        do {
            try await sleeper.value
            XCTFail("a cancelled sleep returned normally")
        } catch is CancellationError {}
    }
}
