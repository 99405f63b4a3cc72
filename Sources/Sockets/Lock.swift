#if canImport(Glibc)
import Glibc
#endif

/// A value that one thread at a time may read or change: the lock every target uses
/// around state shared between threads, with the standard library `Mutex`'s `withLock`.
///
///     let hits = Lock(0)
///     let now = hits.withLock { count in count += 1; return count }
///
/// Why not `Mutex` (Synchronization): on Linux it locks with a bare futex, which
/// ThreadSanitizer cannot see, so every access it guards is reported as a data race and
/// real races drown among them. ThreadSanitizer intercepts `pthread_mutex_lock`, so under
/// this lock its reports are real ones (README "Tests": `make test-sanitize`). Uncontended,
/// both are one atomic instruction in and one out.
///
/// It lives in `Sockets`, the lowest Swift target, so that every target above can use it.
public final class Lock<Value: ~Copyable>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only reached inside `withLock`, between the lock and
    // the unlock of `mutex`; it is handed in and out as `sending`, like `Mutex`'s value.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    // The mutex already makes every access exclusive: no runtime exclusivity check needed.
    @exclusivity(unchecked) private var value: Value

    public init(_ initialValue: consuming sending Value) {
        // Heap-allocated: a pthread mutex must not move, and a stored property may.
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init: \(status)")
        value = initialValue
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock; `body` must not call `withLock`
    /// on the same lock (it is not recursive).
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
