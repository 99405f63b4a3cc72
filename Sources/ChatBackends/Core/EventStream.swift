/// Runs a backend's work in a task and exposes it as the stream `ChatBackend` returns.
///
/// The one place that ties the stream's lifetime to the work: when the consumer stops
/// (cancels, breaks, or drops the iterator) `onTermination` cancels the task, so every
/// `Task.sleep` and upstream read inside `body` ends at once.
enum EventStream {
    typealias Yield = @Sendable (ChatEvent) -> Void

    static func run(
        label: String,
        _ body: @escaping @Sendable (_ yield: Yield) async throws -> Void
    ) -> AsyncThrowingStream<ChatEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatEvent.self)
        // The work keeps the caller's executor: in the server that is the connection's
        // event loop, so an upstream socket read and the reply's write share one thread.
        let executor = withUnsafeCurrentTask { $0?.unownedTaskExecutor?.asTaskExecutor() }
        let task = Task(executorPreference: executor) {
            do {
                try await body { event in
                    // Deltas are forwarded as chunks unchecked downstream, so an empty one
                    // would become an empty chunk, which the wire format forbids.
                    if event.isEmptyText { return }
                    continuation.yield(event)
                }
                continuation.finish()
            } catch is CancellationError {
                continuation.finish()
            } catch let error as ChatBackendError {
                continuation.finish(throwing: error)
            } catch {
                continuation.finish(throwing: ChatBackendError(
                    .internalError, "\(label): unexpected failure: \(error)"))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
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
