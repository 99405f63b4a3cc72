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
/// `http://` goes over Runnel's own event loops with a keep-alive pool
/// (`HTTP1ResponseStream`): local model servers are the common case, and a proxied
/// stream then costs little more than the bytes. `https://` goes through
/// FoundationNetworking's TLS with one shared session per configuration
/// (`SessionStreamClient`). Both keep the same promises: timeouts per stage, redirects
/// returned as responses (never followed), clear transport errors, and the upstream
/// connection closed at once when the consumer stops (cancels, or calls `finish()`).
enum HTTPStreamClient {
    /// Which transport carries a call.
    enum Transport: Sendable, CaseIterable {
        /// The event loops for `http://`, the shared URLSession for anything else.
        case automatic
        /// Always the shared URLSession (tests hold both transports to the same promises).
        case urlSession
    }

    /// Starts `request` with `body` and returns its response as an async sequence of one
    /// `head` then `body` pieces. Transport failures and timeouts end it with a
    /// `ChatBackendError`; HTTP error statuses do not (they are a `head` like any other).
    static func stream(_ request: URLRequest, body: Data, timeouts: UpstreamTimeouts, label: String,
                       transport: Transport = .automatic) -> UpstreamResponse {
        if transport == .automatic, request.url?.scheme?.lowercased() == "http" {
            return UpstreamResponse(source: .eventLoop(HTTP1ResponseStream(request: request, body: body, timeouts: timeouts, label: label)))
        }
        return UpstreamResponse(source: .session(SessionStreamClient.stream(request, body: body, timeouts: timeouts, label: label)))
    }
}

/// An upstream response from either transport.
struct UpstreamResponse: AsyncSequence {
    typealias Element = UpstreamPart

    enum Source {
        case eventLoop(HTTP1ResponseStream)
        case session(AsyncThrowingStream<UpstreamPart, Error>)
    }

    let source: Source

    /// Ends the exchange now, whether or not it was read to the end: the caller's
    /// `defer`, so the upstream connection is pooled or closed at a known point. (A
    /// session stream needs nothing: its task is cancelled when its consumer lets go.)
    func finish() {
        if case .eventLoop(let stream) = source { stream.finish() }
    }

    func makeAsyncIterator() -> Iterator {
        switch source {
        case .eventLoop(let stream): Iterator(source: .eventLoop(stream.makeAsyncIterator()))
        case .session(let stream): Iterator(source: .session(stream.makeAsyncIterator()))
        }
    }

    struct Iterator: AsyncIteratorProtocol {
        enum Source {
            case eventLoop(HTTP1ResponseStream.Iterator)
            case session(AsyncThrowingStream<UpstreamPart, Error>.Iterator)
        }

        var source: Source

        mutating func next() async throws -> UpstreamPart? {
            switch source {
            case .eventLoop(var iterator):
                defer { source = .eventLoop(iterator) }
                return try await iterator.next()
            case .session(var iterator):
                defer { source = .session(iterator) }
                return try await iterator.next()
            }
        }
    }
}
