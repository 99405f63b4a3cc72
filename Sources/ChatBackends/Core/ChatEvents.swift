/// The events of one reply, as `ChatBackend.stream(_:)` returns them.
///
/// Two ways to read them:
/// - `for try await event in events` (an `AsyncSequence`): the work runs in a task of its
///   own and hands each event over through a queue, so the reader pulls at its pace;
/// - `try await events.forEach { event in … }`: the work runs in the calling task and each
///   event goes to the closure as it is made. No second task, no queue: what a reply,
///   which only appends to its bounded log, uses for every stream it serves (a task and
///   a queue per proxied stream were a tenth of its memory).
///
/// Either way nothing starts until the events are read, ending the reading early
/// (breaking out, cancelling the reading task) cancels the work, and a failure arrives
/// as a thrown `ChatBackendError`.
public struct ChatEvents: AsyncSequence, Sendable {
    public typealias Element = ChatEvent
    public typealias Failure = any Error
    public typealias AsyncIterator = AsyncThrowingStream<ChatEvent, any Error>.Iterator

    private enum Source: Sendable {
        /// Work that yields events (a remote call, a replay), run only when read.
        case work(label: String, body: @Sendable (_ yield: EventStream.Yield) async throws -> Void)
        /// Events that already come as a sequence on the reader's task (a local script).
        case sequence(AsyncThrowingStream<ChatEvent, any Error>)
    }

    private let source: Source

    /// The events `body` yields; see `EventStream.run(label:_:)`.
    init(label: String, work body: @escaping @Sendable (_ yield: EventStream.Yield) async throws -> Void) {
        source = .work(label: label, body: body)
    }

    /// The events of `stream`, which produces them on its reader's task.
    public init(_ stream: AsyncThrowingStream<ChatEvent, any Error>) {
        source = .sequence(stream)
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .work(let label, let body): EventStream.pulled(label: label, body).makeAsyncIterator()
        case .sequence(let stream): stream.makeAsyncIterator()
        }
    }

    /// Runs the work in the calling task, handing each event to `handle` as it is made;
    /// returns when the reply ends (or the task is cancelled), throws its failure.
    public func forEach(_ handle: @Sendable (ChatEvent) -> Void) async throws(ChatBackendError) {
        switch source {
        case .work(let label, let body):
            try await EventStream.pushed(label: label, body, to: handle)
        case .sequence(let stream):
            do {
                for try await event in stream { handle(event) }
            } catch {
                if let failure = EventStream.failure(error, label: "backend") { throw failure }
            }
        }
    }
}
