import CSystem
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP handling for a graceful stop: the first signal calls
/// `onFirst`, a second one exits at once, for the person who really means it. SIGHUP (the
/// terminal closed) is graceful too: its default action would end streams without a word.
///
/// The handler only bumps an eventfd (async-signal-safe, whichever thread the kernel
/// picks); a thread of its own reads it and acts. So a signal is never lost, however
/// early it comes: before ``install(onFirst:)`` the default action still stops the process.
public enum ShutdownSignals {
    /// Exit status after a second signal: 128 + SIGINT, as shells expect.
    public static let forcedExitStatus: Int32 = 130

    private final class Handler {
        let onFirst: @Sendable () -> Void
        init(_ onFirst: @escaping @Sendable () -> Void) { self.onFirst = onFirst }
    }

    public static func install(onFirst: @escaping @Sendable () -> Void) {
        let descriptor = signalCounter  // created here, before any handler can read it
        var thread = pthread_t()
        pthread_create(&thread, nil, { context in
            ShutdownSignals.waitForSignals(Unmanaged<Handler>.fromOpaque(context!).takeRetainedValue())
        }, Unmanaged.passRetained(Handler(onFirst)).toOpaque())
        pthread_detach(thread)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var one: UInt64 = 1
            _ = write(signalCounter, &one, 8)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaction(number, &action, nil) }
        _ = descriptor
    }

    private static func waitForSignals(_ handler: Handler) -> UnsafeMutableRawPointer? {
        var received: UInt64 = 0
        while true {
            var count: UInt64 = 0
            guard read(signalCounter, &count, 8) == 8 else { continue }
            received += count
            if received >= 2 { _exit(forcedExitStatus) }
            handler.onFirst()
        }
    }
}

/// Counts signals received; a blocking eventfd the signal thread reads.
private let signalCounter: Int32 = eventfd(0, Int32(EFD_CLOEXEC))
