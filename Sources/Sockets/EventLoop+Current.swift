/// Finding the loop a task runs on.
extension EventLoop {
    /// The loop the current task prefers as its executor (a connection's task, or a
    /// child of one), or `nil` outside any loop. Work started from such a task can stay
    /// on the same thread: sockets it opens are best registered with this loop.
    public static var current: EventLoop? {
        withUnsafeCurrentTask { task in task?.unownedTaskExecutor?.asTaskExecutor() as? EventLoop }
    }
}
