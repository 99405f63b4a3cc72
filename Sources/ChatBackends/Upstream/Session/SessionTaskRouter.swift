import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The delegate of a shared `URLSession`: passes each task's callbacks to the
/// `UpstreamTaskDelegate` of the call that started it, and forgets it when it completes.
///
/// `@unchecked Sendable` (through `NSObject`): the only mutable state is `delegates`,
/// inside a `Locked`.
final class SessionTaskRouter: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// The session's serial delegate queue, also the queue of the calls' watchdogs.
    let queue: DispatchQueue
    private let delegates = Locked<[Int: UpstreamTaskDelegate]>([:])

    init(queue: DispatchQueue) {
        self.queue = queue
    }

    /// Sends `task`'s callbacks to `delegate` (call before resuming the task).
    func route(_ task: URLSessionTask, to delegate: UpstreamTaskDelegate) {
        delegates.withLock { $0[task.taskIdentifier] = delegate }
    }

    private func delegate(of task: URLSessionTask) -> UpstreamTaskDelegate? {
        delegates.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64,
                    totalBytesSent: Int64, totalBytesExpectedToSend: Int64) {
        delegate(of: task)?.urlSession(session, task: task, didSendBodyData: bytesSent,
                                       totalBytesSent: totalBytesSent, totalBytesExpectedToSend: totalBytesExpectedToSend)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @Sendable @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let delegate = delegate(of: dataTask) else { return completionHandler(.cancel) }
        delegate.urlSession(session, dataTask: dataTask, didReceive: response, completionHandler: completionHandler)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        delegate(of: dataTask)?.urlSession(session, dataTask: dataTask, didReceive: data)
    }

    /// Redirects are refused for every task: see `UpstreamTaskDelegate`.
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @Sendable @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        let delegate = delegates.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        delegate?.urlSession(session, task: task, didCompleteWithError: error)
    }
}
