import XCTest
@testable import ChatBackends

/// What a finished stream produced: its events and the error that ended it, if any.
struct CollectedStream {
    var events: [ChatEvent] = []
    var error: Error?

    var deltas: [String] {
        events.compactMap { if case .delta(let text) = $0 { return text } else { return nil } }
    }
    var text: String { deltas.joined() }
    var usage: ChatUsage? {
        events.compactMap { if case .usage(let usage) = $0 { return usage } else { return nil } }.last
    }
    var models: [String] {
        events.compactMap { if case .model(let name) = $0 { return name } else { return nil } }
    }
    var backendError: ChatBackendError? { error as? ChatBackendError }
}

/// Drains `stream`, keeping any error instead of throwing it so tests can assert on both
/// the partial output and the failure.
func collect(_ stream: ChatEvents) async -> CollectedStream {
    var result = CollectedStream()
    do {
        for try await event in stream { result.events.append(event) }
    } catch {
        result.error = error
    }
    return result
}

/// A request with one user message (and optionally earlier turns before it).
func request(_ text: String, history: [ChatMessage] = [], system: String? = nil, delayMs: Int? = nil) -> ChatRequest {
    ChatRequest(messages: history + [ChatMessage(role: .user, content: text)], system: system, delayMs: delayMs)
}

/// Milliseconds elapsed since `start` on the monotonic clock.
func millisecondsSince(_ start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}
