import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends one HTTP request and streams the response as it arrives.
///
/// ```swift
/// for try await part in HTTPStreamClient.stream(request, body: json, timeouts: .init(), label: "openai") {
///     switch part {
///     case .head(let status, _): …
///     case .body(let bytes): …
///     }
/// }
/// ```
///
/// Stopping the iteration (or cancelling the consuming task) cancels the URLSession task,
/// which closes the upstream connection at once. Each call gets its own session: the
/// delegate is per session on Linux, and a session dies with its stream, so nothing leaks.
enum HTTPStreamClient {
    /// Starts `request` with `body` (sent as an upload so the delegate learns when the
    /// request has gone out) and returns its response as a stream. Transport failures
    /// and timeouts end the stream with a `ChatBackendError`; HTTP error statuses do not
    /// (they are a `head` like any other).
    static func stream(_ request: URLRequest, body: Data, timeouts: UpstreamTimeouts, label: String)
        -> AsyncThrowingStream<UpstreamPart, Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: UpstreamPart.self)

        // One serial queue for the delegate and the watchdog timer: callbacks arrive in order.
        let queue = DispatchQueue(label: "runnel.upstream.\(label)")
        let operations = OperationQueue()
        operations.maxConcurrentOperationCount = 1
        operations.underlyingQueue = queue

        let watchdog = StreamWatchdog(timeouts: timeouts, queue: queue)
        let delegate = UpstreamTaskDelegate(continuation: continuation, watchdog: watchdog, label: label)
        let session = URLSession(configuration: configuration(timeouts), delegate: delegate, delegateQueue: operations)

        var request = request
        request.timeoutInterval = backstop(timeouts)
        let task = session.uploadTask(with: request, from: body)

        let target = request.url.map(UpstreamFailure.displayURL) ?? "the upstream"
        // URLSession reports no upload progress for an empty body, so the connect stage
        // could never end; start such a request at the first-byte stage instead.
        watchdog.start(at: body.isEmpty ? .firstByte : .connect) { phase, seconds in
            continuation.finish(throwing: timeoutError(phase, seconds: seconds, label: label, target: target))
            task.cancel()
        }
        continuation.onTermination = { _ in
            watchdog.stop()
            task.cancel()
            session.invalidateAndCancel()  // releases the delegate, which the session retains
        }
        task.resume()
        return stream
    }

    private static func configuration(_ timeouts: UpstreamTimeouts) -> URLSessionConfiguration {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = backstop(timeouts)
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

    private static func timeoutError(_ phase: StreamWatchdog.Phase, seconds: TimeInterval, label: String, target: String) -> ChatBackendError {
        let limit = seconds < 1 ? "\(Int((seconds * 1000).rounded())) ms" : "\(Int(seconds.rounded())) s"
        switch phase {
        case .connect:
            return ChatBackendError(.upstreamTimeout, "\(label): could not connect to \(target) and send the request within \(limit)")
        case .firstByte:
            return ChatBackendError(.upstreamTimeout, "\(label): \(target) did not start responding within \(limit)")
        case .idle:
            return ChatBackendError(.upstreamTimeout, "\(label): \(target) stopped sending for \(limit) mid-response")
        }
    }
}
