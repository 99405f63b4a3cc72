import CSystem
import Glibc

/// The watcher thread's loop: wait for inotify events or the stop signal, fold events into
/// a pending set, report it when the coalescing window closes.
final class WatchLoop {
    private let tree: WatchTree
    private let control: WatcherControl
    private let coalesce: Duration
    private let onChange: @Sendable (Set<String>) -> Void
    private let onError: @Sendable (FileWatcherError) -> Void
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(
        tree: WatchTree, control: WatcherControl, coalesce: Duration,
        onChange: @escaping @Sendable (Set<String>) -> Void,
        onError: @escaping @Sendable (FileWatcherError) -> Void
    ) {
        self.tree = tree
        self.control = control
        self.coalesce = coalesce
        self.onChange = onChange
        self.onError = onError
    }

    func run() {
        defer { control.closeDescriptors() }
        let clock = ContinuousClock()
        var pending: Set<String> = []
        var deadline: ContinuousClock.Instant?
        var descriptors = [
            pollfd(fd: control.inotify, events: Int16(POLLIN), revents: 0),
            pollfd(fd: control.wake, events: Int16(POLLIN), revents: 0),
        ]
        while !control.stopRequested {
            let timeout = deadline.map { Self.milliseconds(until: $0, on: clock) } ?? -1
            let ready = poll(&descriptors, 2, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                onError(.system(call: "poll", errno: errno))
                return
            }
            if descriptors[1].revents != 0 { return }
            if descriptors[0].revents != 0 {
                do {
                    try readEvents(into: &pending)
                } catch {
                    onError(error)
                    return
                }
                for error in tree.takeErrors() { onError(error) }
                // The window opens with the first change, not the last: latency stays `coalesce`.
                if deadline == nil, !pending.isEmpty { deadline = clock.now.advanced(by: coalesce) }
            }
            if let due = deadline, clock.now >= due {
                deadline = nil
                let changes = pending
                pending = []
                if !control.stopRequested { onChange(changes) }
            }
        }
    }

    /// Reads and handles every queued event (the descriptor is non-blocking).
    private func readEvents(into pending: inout Set<String>) throws(FileWatcherError) {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(control.inotify, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                throw .system(call: "read(inotify)", errno: errno)
            }
            if count == 0 { return }
            for event in Self.events(in: buffer[0..<count]) {
                tree.handle(event, into: &pending)
            }
        }
    }

    /// Splits a read into events: `struct inotify_event { int wd; uint32_t mask, cookie, len;
    /// char name[len]; }`, the name NUL-padded.
    static func events(in bytes: ArraySlice<UInt8>) -> [WatchTree.Event] {
        var events: [WatchTree.Event] = []
        bytes.withUnsafeBytes { raw in
            var offset = 0
            let header = 16
            while offset + header <= raw.count {
                let descriptor = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = raw[(offset + header)..<min(offset + header + length, raw.count)]
                let name = String(decoding: nameBytes.prefix(while: { $0 != 0 }), as: UTF8.self)
                events.append(WatchTree.Event(descriptor: descriptor, mask: mask, name: name))
                offset += header + length
            }
        }
        return events
    }

    /// Whole milliseconds until `deadline`, rounded up so the window is never cut short.
    private static func milliseconds(until deadline: ContinuousClock.Instant, on clock: ContinuousClock) -> Int32 {
        let left = clock.now.duration(to: deadline)
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(min(seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000, 60_000))
    }
}
