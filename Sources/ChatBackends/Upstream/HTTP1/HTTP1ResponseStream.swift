import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Sockets

/// The transport for `http://` upstreams: one request over a pooled keep-alive
/// connection on Runnel's own event loops, its response read only as fast as the
/// consumer asks for it.
///
/// Each `next()` reads the socket once at most (after the pieces of the previous read
/// are taken), so no more than one read's worth is ever held beyond what the consumer
/// took: while the consumer is behind, the socket is not read and TCP pushes back on
/// the upstream. Cancelling the consuming task shuts the socket down at once (the
/// upstream sees the close); a connection goes back to the pool only when its response
/// was read cleanly to the end. A consumer that stops before the end calls ``finish()``
/// (``RemoteCall`` does, in a `defer`): the connection is pooled or closed right there,
/// not whenever the last reference happens to go.
struct HTTP1ResponseStream: AsyncSequence {
    typealias Element = UpstreamPart

    private let exchange: HTTP1Exchange

    init(request: URLRequest, body: Data, timeouts: UpstreamTimeouts, label: String, pool: HTTP1ConnectionPool = .shared) {
        exchange = HTTP1Exchange(request: request, body: body, timeouts: timeouts, label: label, pool: pool)
    }

    /// One consumer iterates it, once.
    func makeAsyncIterator() -> Iterator { Iterator(exchange: exchange) }

    /// Lets go of the connection: back to the pool if the rest of the response is
    /// already in the socket (a provider's end marker came before the body's end),
    /// closed otherwise. Nothing is read after it; calling it again does nothing.
    func finish() { exchange.finish() }

    struct Iterator: AsyncIteratorProtocol {
        let exchange: HTTP1Exchange

        mutating func next() async throws -> UpstreamPart? {
            try await exchange.next()
        }
    }
}

/// The state of one request and its response.
///
/// `@unchecked Sendable`: everything but `abortable` is touched only by the task that
/// iterates (one `next()` at a time); `abortable` is what a cancellation on another
/// thread shuts down, behind a lock.
final class HTTP1Exchange: @unchecked Sendable {
    private let request: URLRequest
    private let body: Data
    private let timeouts: UpstreamTimeouts
    private let label: String
    private let pool: HTTP1ConnectionPool

    private var connection: HTTP1Connection?
    private let abortable = Locked<HTTP1Connection?>(nil)
    private var parser = HTTP1ResponseParser()
    private var pending: [UpstreamPart] = []
    private var finished = false
    /// The stage, for the limit of the next wait and the message of a timeout.
    private var phase = StreamWatchdog.Phase.connect
    /// The connection came from the pool and nothing of the response arrived yet: if it
    /// turns out closed, the request is sent once more on a new connection.
    private var mayRetry = false
    private var retried = false

    init(request: URLRequest, body: Data, timeouts: UpstreamTimeouts, label: String, pool: HTTP1ConnectionPool) {
        self.request = request
        self.body = body
        self.timeouts = timeouts
        self.label = label
        self.pool = pool
    }

    /// See ``HTTP1ResponseStream/finish()``.
    func finish() {
        finished = true
        pending = []
        guard let connection else { return }
        release(reuse: salvage(connection))
    }

    func next() async throws -> UpstreamPart? {
        if !pending.isEmpty { return pending.removeFirst() }
        if finished { return nil }
        return try await withTaskCancellationHandler {
            try await advance()
        } onCancel: {
            // Under the lock, which `release` takes before it closes the socket or pools the
            // connection: so the shutdown never reaches a closed descriptor whose number a
            // new socket may already have, nor a connection another exchange now holds.
            abortable.withLock { $0?.abort() }
        }
    }

    private func advance() async throws -> UpstreamPart? {
        do {
            while true {
                do {
                    if connection == nil { try await start() }
                    try Task.checkCancellation()
                    try await readOnce()
                } catch SocketError.disconnected where mayRetry && !Task.isCancelled {
                    release(reuse: false)  // the pooled connection had closed: once more on a new one
                    mayRetry = false
                    retried = true
                    phase = .connect
                    continue
                }
                if !pending.isEmpty { return pending.removeFirst() }
                if finished { return nil }
            }
        } catch {
            release(reuse: false)
            finished = true
            if Task.isCancelled { throw CancellationError() }
            throw failure(error)
        }
    }

    /// Takes or opens a connection and sends the request, within the connect limit: a
    /// deadline on the loop's own timer heap, like the other waits of the exchange.
    private func start() async throws {
        let http = try HTTP1Request(request, body: body)
        parser = HTTP1ResponseParser(requestWasHead: http.isHead)
        let upstream = HTTP1ConnectionPool.Upstream(host: http.host, port: http.port)
        let loop = try UpstreamLoops.pick()
        let bytes = http.bytes
        let deadline = Self.deadline(after: timeouts.connect)

        // The common case, a pooled connection with room for the whole request, needs no wait.
        if !retried, let pooled = pool.take(upstream, preferring: loop) {
            adopt(pooled)
            mayRetry = true
            let sent = try pooled.sendNow(bytes[...])
            if sent < bytes.count { try await pooled.send(bytes, from: sent, deadline: deadline) }
            phase = .firstByte
            return
        }
        mayRetry = false
        // Adopted before the request goes out, so a cancellation aborts it and a failure
        // closes it (`advance`).
        adopt(try await HTTP1Connection.open(to: upstream, on: loop, deadline: deadline))
        try await connection?.send(bytes, from: 0, deadline: deadline)
        phase = .firstByte
    }

    private func adopt(_ connection: HTTP1Connection) {
        self.connection = connection
        abortable.withLock { $0 = connection }
    }

    /// One read (waiting for the socket if it has nothing), fed to the parser; its
    /// pieces land in `pending`.
    private func readOnce() async throws {
        guard let connection else { return }
        while true {
            let outcome = connection.loop.withReadBuffer { scratch -> Result<HTTP1ResponseParser.Output?, Error> in
                do {
                    let count = try connection.socket.read(into: scratch)
                    return .success(try parser.feed(UnsafeRawBufferPointer(rebasing: scratch[..<count])))
                } catch SocketError.blocked {
                    return .success(nil)
                } catch {
                    return .failure(error)
                }
            }
            let output: HTTP1ResponseParser.Output
            switch outcome {
            case .success(let read?):
                output = read
            case .success(nil):
                let limit = phase == .idle ? timeouts.idle : timeouts.firstByte
                try await connection.loop.waitReadable(connection.socket, deadline: Self.deadline(after: limit))
                continue
            case .failure(SocketError.disconnected) where !mayRetry:
                try parser.finishAtClose()
                output = HTTP1ResponseParser.Output(isComplete: true)
            case .failure(let error):
                throw error
            }
            mayRetry = false
            if let head = output.head {
                phase = .idle
                pending.append(.head(status: head.status, headers: head.headers))
            }
            if !output.body.isEmpty { pending.append(.body(output.body)) }
            if output.isComplete {
                release(reuse: parser.isReusable)
                finished = true
            }
            return
        }
    }

    /// Gives the connection back to the pool (or closes it) and forgets it.
    private func release(reuse: Bool) {
        guard let connection else { return }
        self.connection = nil
        abortable.withLock { $0 = nil }
        if reuse { pool.putBack(connection) } else { connection.close() }
    }

    /// Reads what is already there without waiting; whether that completed the response
    /// and left the connection reusable.
    private func salvage(_ connection: HTTP1Connection) -> Bool {
        for _ in 0..<4 where !parser.isComplete {
            let progressed = connection.loop.withReadBuffer { scratch -> Bool in
                guard let count = try? connection.socket.read(into: scratch) else { return false }
                return (try? parser.feed(UnsafeRawBufferPointer(rebasing: scratch[..<count]))) != nil
            }
            if !progressed { break }
        }
        return parser.isReusable
    }

    /// `seconds` from now, or `nil` when the limit is not a finite time.
    private static func deadline(after seconds: TimeInterval) -> ContinuousClock.Instant? {
        guard seconds.isFinite, seconds < 1e9 else { return nil }
        return .now + .milliseconds(Int64((max(0, seconds) * 1000).rounded(.up)))
    }

    /// The error the consumer sees for whatever ended the exchange.
    private func failure(_ error: Error) -> Error {
        if let error = error as? ChatBackendError { return error }
        let url = request.url
        let target = url.map(UpstreamFailure.displayURL) ?? "the upstream"
        let problem: UpstreamFailure.TransportProblem
        switch error {
        case let error as UpstreamFailure.TransportProblem:
            problem = error
        case let error as HTTP1ResponseParser.Failure:
            problem = error.description.hasPrefix("the connection closed") ? .connectionLost : .malformedResponse(error.description)
        case SocketError.timedOut:
            let seconds = phase == .connect ? timeouts.connect : (phase == .idle ? timeouts.idle : timeouts.firstByte)
            return UpstreamFailure.timeout(phase, seconds: seconds, label: label, target: target)
        case SocketError.unresolvable:
            problem = .cannotResolve
        case SocketError.failed(let call, _) where call == "connect":
            problem = .cannotConnect
        case SocketError.disconnected, SocketError.closed:
            problem = .connectionLost
        default:
            problem = .other("\(error)")
        }
        return UpstreamFailure.transport(problem, label: label, url: url)
    }
}
