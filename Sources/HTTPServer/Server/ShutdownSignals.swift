#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM handling for a graceful stop: the first signal calls `onFirst`,
/// a second one exits at once, for the person who really means it.
///
/// The signals are blocked in every thread and taken by one thread with `sigwait`, so a
/// signal that arrives at any moment — even before the server is up — stays pending
/// until it is handled: none is lost. Call ``install(onFirst:)`` first thing in `main`,
/// before any other thread starts, since threads inherit the signal mask.
public enum ShutdownSignals {
    /// Exit status after a second signal: 128 + SIGINT, as shells expect.
    public static let forcedExitStatus: Int32 = 130

    private final class Handler {
        let onFirst: @Sendable () -> Void
        init(_ onFirst: @escaping @Sendable () -> Void) { self.onFirst = onFirst }
    }

    public static func install(onFirst: @escaping @Sendable () -> Void) {
        var signals = shutdownSignals
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        var thread = pthread_t()
        pthread_create(&thread, nil, { context in
            ShutdownSignals.waitForSignals(Unmanaged<Handler>.fromOpaque(context!).takeRetainedValue())
        }, Unmanaged.passRetained(Handler(onFirst)).toOpaque())
        pthread_detach(thread)
    }

    private static func waitForSignals(_ handler: Handler) -> UnsafeMutableRawPointer? {
        var signals = shutdownSignals
        var received = 0
        while true {
            var number: Int32 = 0
            guard sigwait(&signals, &number) == 0 else { continue }
            received += 1
            if received == 1 { handler.onFirst() } else { _exit(forcedExitStatus) }
        }
    }

    private static var shutdownSignals: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
