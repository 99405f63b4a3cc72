/// A response: status, headers and a body that is either bytes or a stream.
///
/// ```swift
/// Response(status: .ok, headers: ["Content-Type": "text/plain"], body: Array("ok".utf8))
/// Response(status: .ok, headers: ["Content-Type": "text/event-stream"]) { writer in
///     try await writer.write(ServerSentEvent.data("{\"chunk\":\"hi\"}"))
/// }
/// ```
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: ResponseBody
    /// Named facts the access log adds to this exchange (a request id, a client, a
    /// reply's outcome), asked for once the response has been sent, so a streamed reply
    /// can report how it ended. Never sent to the client.
    public var logFields: (@Sendable () -> [AccessLogEntry.Field])?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    /// A streamed response: chunked on HTTP/1.1, close-delimited on HTTP/1.0.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], stream: @escaping ResponseBody.Producer) {
        self.status = status
        self.headers = headers
        self.body = .stream(stream)
    }

    /// A plain-text response.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }
}

/// A response body: bytes known up front, or a producer that writes pieces as they come.
public enum ResponseBody: Sendable {
    public typealias Producer = @Sendable (any ResponseBodyWriter) async throws -> Void
    case bytes([UInt8])
    case stream(Producer)
}

/// Where a streamed body goes. `write` returns once the bytes are in the kernel and
/// suspends while the socket is full (backpressure); it throws once the client has gone,
/// or when a write makes no progress for the server's write timeout.
///
/// A producer runs exactly once per response, even when the client left before the head
/// went out or asked with `HEAD` (its writes then throw at once), so whatever it owns is
/// released in one place: when it returns.
public protocol ResponseBodyWriter: Sendable {
    /// Sends `bytes` as the next piece of the body, at once (no buffering).
    func write(_ bytes: [UInt8]) async throws
    /// True once the server began a graceful shutdown: producers should finish up.
    var isShuttingDown: Bool { get }
    /// The executor of the connection (its event loop): helper tasks of a producer run
    /// best there, next to the socket.
    var executor: (any TaskExecutor)? { get }

    /// Calls `action` at `deadline` unless cancelled first, on the connection's event loop
    /// (a heap entry, no task): how a producer waits for its next piece *or* a time, e.g.
    /// to send a heartbeat after a silence.
    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> ScheduledAction
}

/// A call scheduled by ``ResponseBodyWriter/schedule(at:_:)``.
public struct ScheduledAction: Sendable {
    private let cancelAction: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) { cancelAction = cancel }

    /// The call will not run (if it has not yet).
    public func cancel() { cancelAction() }
}

extension ResponseBodyWriter {
    public var executor: (any TaskExecutor)? { nil }

    /// For writers without an event loop: a task that sleeps until `deadline`.
    public func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping @Sendable () -> Void) -> ScheduledAction {
        let task = Task {
            try await Task.sleep(until: deadline, clock: .continuous)
            action()
        }
        return ScheduledAction { task.cancel() }
    }
}

/// The handler of every request: the server's one extension point.
public protocol HTTPHandler: Sendable {
    /// Answers `request`; a thrown ``HTTPError`` becomes a response through
    /// ``errorResponse(for:head:)``, any other error a 500.
    func handle(_ request: Request) async throws -> Response
    /// The largest body this request may carry (413 beyond it), decided from its head.
    func maxBodySize(for head: RequestHead) -> Int
    /// The one place an error becomes a response: one the handler threw, or one the
    /// server raised itself (400, 408, 413, 431, 501…; `head` is nil when the request
    /// could not be parsed that far). After a server-raised one the connection closes.
    func errorResponse(for error: HTTPError, head: RequestHead?) -> Response
}

extension HTTPHandler {
    public func maxBodySize(for head: RequestHead) -> Int { ServerConfiguration.defaultMaxBodySize }

    /// Plain text: the message and a line end, with the error's headers. The default for
    /// a generic server; an app overrides it to be its one place where errors become
    /// responses (its error pages, JSON on its API…), whoever raised them.
    public func errorResponse(for error: HTTPError, head: RequestHead?) -> Response {
        var response = Response.text(error.message + "\n", status: error.status)
        for field in error.headers { response.headers[field.name] = field.value }
        return response
    }
}

/// The writer a producer gets when its body can never be sent: every write throws.
struct ClosedBodyWriter: ResponseBodyWriter {
    func write(_ bytes: [UInt8]) async throws { throw SocketError.disconnected }
    var isShuttingDown: Bool { false }
}
