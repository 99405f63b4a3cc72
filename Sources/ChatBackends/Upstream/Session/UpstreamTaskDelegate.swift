import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Forwards URLSession's callbacks for one task into an `AsyncThrowingStream` (the
/// shared session's `SessionTaskRouter` calls it for its task only).
///
/// Linux's URLSession has no `bytes(for:)`; a data delegate is the only way to see a
/// response as it arrives (one `didReceive data` per network read). The delegate holds
/// no mutable state of its own: yielding to or finishing the continuation after it
/// finished is a no-op, which is what makes the races with the watchdog and with
/// cancellation harmless.
final class UpstreamTaskDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let continuation: AsyncThrowingStream<UpstreamPart, Error>.Continuation
    private let watchdog: StreamWatchdog
    private let label: String

    init(continuation: AsyncThrowingStream<UpstreamPart, Error>.Continuation, watchdog: StreamWatchdog, label: String) {
        self.continuation = continuation
        self.watchdog = watchdog
        self.label = label
    }

    /// Upload tasks report the request body leaving, which is our sign the connection is
    /// up: from here on the upstream is thinking, not unreachable.
    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
                    totalBytesSent: Int64, totalBytesExpectedToSend: Int64) {
        if totalBytesSent >= totalBytesExpectedToSend { watchdog.progress(to: .firstByte) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @Sendable @escaping (URLSession.ResponseDisposition) -> Void) {
        watchdog.progress(to: .idle)
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            headers[String(describing: name).lowercased()] = String(describing: value)
        }
        continuation.yield(.head(status: http?.statusCode ?? 0, headers: headers))
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        watchdog.progress(to: .idle)
        continuation.yield(.body(data))
    }

    /// Redirects are refused: an API endpoint that redirects is misconfigured, and
    /// following one could carry the API key to another host. The 3xx becomes the response.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @Sendable @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        watchdog.stop()
        if let error, (error as? URLError)?.code != .cancelled {
            continuation.finish(throwing: UpstreamFailure.transport(error, label: label, url: task.originalRequest?.url))
        } else {
            // Cancelled means we cancelled: the consumer left or the watchdog already
            // finished the stream with a timeout, so there is nothing left to report.
            continuation.finish()
        }
    }
}
