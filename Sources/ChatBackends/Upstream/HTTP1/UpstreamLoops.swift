import Sockets

/// Which event loop a new upstream connection joins.
enum UpstreamLoops {
    /// The loop of the calling task: in the server every backend runs on its browser
    /// connection's loop (a reply runs it in its own task, which prefers that loop;
    /// `EventStream` keeps the caller's executor when pulled), so the upstream
    /// socket wakes the very thread that writes the reply, and no thread is added per
    /// stream. Callers outside any loop (tests, other programs) share one loop of their own.
    static func pick() throws -> EventLoop {
        if let current = EventLoop.current { return current }
        return try fallback.get()
    }

    /// Made on first use only.
    private static let fallback = Result<EventLoop, SocketError> { () throws(SocketError) in try EventLoop() }
}
