import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The transport for `https://` upstreams: FoundationNetworking (libcurl underneath),
/// with one shared `URLSession` per configuration instead of one per call, so libcurl
/// keeps connections alive between calls and negotiates HTTP/2 (ALPN) where the
/// provider offers it.
///
/// Linux's URLSession has one delegate per session, so a `SessionTaskRouter` hands each
/// task's callbacks to that call's `UpstreamTaskDelegate`. Stopping the iteration (or
/// cancelling the consuming task) cancels the task, which closes its connection (or its
/// HTTP/2 stream) at once.
enum SessionStreamClient {
    /// The shared sessions, one per distinct backstop timeout (the only setting of the
    /// session that varies between calls). They live as long as the process.
    private static let sessions = Locked<[TimeInterval: (URLSession, SessionTaskRouter)]>([:])

    /// Starts `request` with `body` (sent as an upload so the delegate learns when the
    /// request has gone out) and returns its response as a stream. Transport failures
    /// and timeouts end the stream with a `ChatBackendError`; HTTP error statuses do not
    /// (they are a `head` like any other).
    static func stream(_ request: URLRequest, body: Data, timeouts: UpstreamTimeouts, label: String)
        -> AsyncThrowingStream<UpstreamPart, Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: UpstreamPart.self)
        let (session, router) = shared(backstop: backstop(timeouts))

        let watchdog = StreamWatchdog(timeouts: timeouts, queue: router.queue)
        var request = request
        request.timeoutInterval = backstop(timeouts)
        let task = session.uploadTask(with: request, from: body)
        router.route(task, to: UpstreamTaskDelegate(continuation: continuation, watchdog: watchdog, label: label))

        let target = request.url.map(UpstreamFailure.displayURL) ?? "the upstream"
        // URLSession reports no upload progress for an empty body, so the connect stage
        // could never end; start such a request at the first-byte stage instead.
        watchdog.start(at: body.isEmpty ? .firstByte : .connect) { phase, seconds in
            continuation.finish(throwing: UpstreamFailure.timeout(phase, seconds: seconds, label: label, target: target))
            task.cancel()
        }
        continuation.onTermination = { _ in
            watchdog.stop()
            task.cancel()
        }
        task.resume()
        return stream
    }

    /// The session for `backstop`, made on first use.
    private static func shared(backstop: TimeInterval) -> (URLSession, SessionTaskRouter) {
        sessions.withLock { sessions in
            if let existing = sessions[backstop] { return existing }
            // One serial queue for every callback and watchdog timer of the session:
            // each call's callbacks arrive in order.
            let queue = DispatchQueue(label: "runnel.upstream.session")
            let operations = OperationQueue()
            operations.maxConcurrentOperationCount = 1
            operations.underlyingQueue = queue
            let router = SessionTaskRouter(queue: queue)
            let session = URLSession(configuration: configuration(backstop: backstop), delegate: router, delegateQueue: operations)
            sessions[backstop] = (session, router)
            return (session, router)
        }
    }

    private static func configuration(backstop: TimeInterval) -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = backstop
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        return configuration
    }

    /// URLSession's own timer, in whole seconds, kept later than every watchdog limit so
    /// it only fires if the watchdog somehow did not (its error then maps to a timeout too).
    static func backstop(_ timeouts: UpstreamTimeouts) -> TimeInterval {
        let longest = max(timeouts.connect, timeouts.firstByte, timeouts.idle)
        return min(longest.rounded(.up), 86_400) + 30
    }
}
