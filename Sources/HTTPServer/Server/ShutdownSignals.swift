import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM handling for a graceful stop: the first signal calls `onFirst`;
/// a second one exits at once, for the person who really means it.
public enum ShutdownSignals {
    /// Exit status after a second signal: 128 + SIGINT, as shells expect.
    public static let forcedExitStatus: Int32 = 130

    /// Installs the handlers; keep the returned sources alive for as long as they apply.
    public static func install(onFirst: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        let received = SignalCount()
        return [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if received.increment() == 1 { onFirst() } else { _exit(forcedExitStatus) }
            }
            source.resume()
            return source
        }
    }
}

import Synchronization

private final class SignalCount: Sendable {
    private let count = Atomic<Int>(0)
    func increment() -> Int { count.add(1, ordering: .relaxed).newValue }
}
