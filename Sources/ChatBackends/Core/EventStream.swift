/// Runs a backend's work as the `ChatEvents` it returns, read either way (see `ChatEvents`).
///
/// The one place that ties the events' lifetime to the work: pulled, the work runs in a
/// task that `onTermination` cancels when the reader stops (cancels, breaks, or drops the
/// iterator); pushed, it runs in the reader's own task. Either way every `Task.sleep` and
/// upstream read inside `body` ends at once when the reading ends.
enum EventStream {
    typealias Yield = @Sendable (ChatEvent) -> Void

    static func run(
        label: String,
        _ body: @escaping @Sendable (_ yield: Yield) async throws -> Void
    ) -> ChatEvents {
        ChatEvents(label: label, work: body)
    }

    /// The work in a task of its own, its events queued for the reader.
    static func pulled(
        label: String,
        _ body: @escaping @Sendable (_ yield: Yield) async throws -> Void
    ) -> AsyncThrowingStream<ChatEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatEvent.self)
        // The work keeps the caller's executor: in the server that is the connection's
        // event loop, so an upstream socket read and the reply's write share one thread.
        let executor = withUnsafeCurrentTask { $0?.unownedTaskExecutor?.asTaskExecutor() }
        let task = Task(executorPreference: executor) {
            do throws(ChatBackendError) {
                try await pushed(label: label, body) { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The work in the calling task, each event handed to `handle`.
    static func pushed(
        label: String,
        _ body: @Sendable (_ yield: Yield) async throws -> Void,
        to handle: @Sendable (ChatEvent) -> Void
    ) async throws(ChatBackendError) {
        do {
            // `handle` is only called while `body` runs, never kept.
            try await withoutActuallyEscaping(handle) { handle in
                try await body { event in
                    // Deltas are forwarded as chunks unchecked downstream, so an empty one
                    // would become an empty chunk, which the wire format forbids.
                    if event.isEmptyText { return }
                    handle(event)
                }
            }
        } catch {
            if let failure = failure(error, label: label) { throw failure }
        }
    }

    /// What the reader sees of a failure: none for a cancellation (the reading ended),
    /// a `ChatBackendError` as is, anything else as an internal error.
    static func failure(_ error: any Error, label: String) -> ChatBackendError? {
        switch error {
        case is CancellationError: nil
        case let error as ChatBackendError: error
        default: ChatBackendError(.internalError, "\(label): unexpected failure: \(error)")
        }
    }
}

extension ChatEvent {
    /// An empty delta or reasoning piece: dropped, since the wire formats forbid empty chunks.
    var isEmptyText: Bool {
        switch self {
        case .delta(let text), .reasoning(let text): return text.isEmpty
        default: return false
        }
    }
}
