import Glibc

/// One read buffer per loop, for the reads of all its sockets.
///
/// A read needs room for whatever the kernel has, but only until the bytes are copied
/// into the connection's own buffer or fed to a parser, which happens before the reading
/// code can suspend. Every socket of a loop is read on the loop's thread, one read at a
/// time, so one buffer per thread serves them all. Reading into a temporary allocation
/// instead costs memory per connection: inside an async function that allocation comes
/// from the task's own allocator, which keeps the slab for the task's whole life (16 KiB
/// reserved and a page or two touched by every long-lived connection or upstream read).
extension EventLoop {
    /// Bytes asked of the kernel per read.
    public static let readBufferBytes = 16 * 1024

    /// Runs `body` with room for one read: this loop's buffer when called on its thread
    /// (the case for every task that prefers the loop), else a buffer of its own. `body`
    /// must not keep the pointer.
    public func withReadBuffer<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        if pthread_equal(pthread_self(), pthread_t(loopThread.load(ordering: .relaxed))) != 0, !readBufferBusy {
            readBufferBusy = true
            defer { readBufferBusy = false }
            return try body(readBuffer)
        }
        // Off the loop's thread (a deinit, a loop that has exited) or already in use.
        let own = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readBufferBytes, alignment: 16)
        defer { own.deallocate() }
        return try body(own)
    }
}
