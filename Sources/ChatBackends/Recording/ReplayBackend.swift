import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Answers from cassettes instead of a network (README "Record and replay"): the request
/// is matched to a cassette (`CassetteMatcher`), whose raw response is played through the
/// recorded provider's own interpreter, by the same decoding code as a live call
/// (`RemoteCall.decode`), at the recorded pace times `1 / speed`.
///
/// ```swift
/// let (stored, _) = CassetteShelf(directory: folder).load()
/// let replay = ReplayBackend(cassettes: stored, speed: 1)
/// ```
public struct ReplayBackend: ChatBackend {
    /// Always "replay", "replay" (a recorded `model` event names the model that answered)
    /// and "local" (no network).
    public let name = "replay", model = "replay", kind = "local"

    /// Picks the cassette that answers each request.
    public let matcher: CassetteMatcher
    /// 1 plays as recorded, 2 twice as fast, 0 at once.
    public let speed: Double

    /// A backend answering from `cassettes` at `speed`.
    public init(cassettes: [CassetteShelf.Stored], speed: Double = 1) {
        self.matcher = CassetteMatcher(cassettes)
        self.speed = speed
    }

    /// The matched cassette's reply, or a `replay_unmatched` failure; see `ChatBackend.stream(_:)`.
    public func stream(_ request: ChatRequest) -> ChatEvents {
        EventStream.run(label: name) { [matcher, speed] yield in
            let (stored, _) = try matcher.match(request).get()
            try await Self.play(stored.cassette, speed: speed, yield: yield)
        }
    }

    /// Plays `cassette`'s response through its provider's interpreter; then, if the
    /// recording failed after its last frame (a timeout, a dropped connection), fails the
    /// same way.
    static func play(_ cassette: Cassette, speed: Double, yield: EventStream.Yield) async throws {
        guard let response = cassette.response else {
            throw cassette.outcome.error ?? ChatBackendError(.upstreamUnavailable, "\(cassette.backend): no response was recorded")
        }
        let url = URL(string: cassette.request.upstream?.url ?? "") ?? URL(string: "http://replay.invalid/")!
        let call = RemoteCall(label: cassette.backend, request: URLRequest(url: url), body: Data(), timeouts: UpstreamTimeouts(), secrets: [])
        let parts = Self.parts(response, speed: speed)
        let trace = ExchangeTrace.current
        switch cassette.backend {
        case "openai": try await call.decode(parts, OpenAIStreamInterpreter(label: call.label, secrets: []), trace: trace, yield: yield)
        case "anthropic": try await call.decode(parts, AnthropicStreamInterpreter(label: call.label, secrets: []), trace: trace, yield: yield)
        case "gemini": try await call.decode(parts, GeminiStreamInterpreter(label: call.label, secrets: []), trace: trace, yield: yield)
        // A new provider: its interpreter here.
        default: throw ChatBackendError(.replayUnmatched, "replay: the cassette's backend '\(cassette.backend)' is not one Runnel can replay")
        }
        if let error = cassette.outcome.error { throw error }
    }

    /// The recorded head and frames, each when it arrived (divided by `speed`).
    static func parts(_ response: Cassette.Response, speed: Double) -> AsyncThrowingStream<UpstreamPart, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                let start = ContinuousClock.now
                func wait(until ms: Double) async throws {
                    guard speed > 0 else { return }
                    try await Task.sleep(until: start + .microseconds(Int64(ms * 1000 / speed)), clock: .continuous)
                }
                do {
                    try await wait(until: response.atMs)
                    continuation.yield(.head(status: response.status, headers: response.headers))
                    for frame in response.frames {
                        try await wait(until: frame.atMs)
                        continuation.yield(.body(frame.bytes))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
