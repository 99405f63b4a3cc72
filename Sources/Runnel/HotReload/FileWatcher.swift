import CSystem
import Glibc
import Sockets
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Watches folder trees with inotify and reports which files changed, a burst at a time.
///
/// Recursive (folders created, moved in, or deleted and recreated are watched too), blind
/// to editors' swap, backup and temporary files, and coalescing: the first change opens a
/// `coalesce` window, and when it closes `onChange` gets every path changed meanwhile, so a
/// save costs one callback about `coalesce` after the write. Paths are relative to `base`
/// ("Frontend/style.css"); a removed or replaced folder is reported as its own path.
///
/// The blocking read runs on a thread of its own, never on Swift's cooperative pool;
/// `onChange` and `onError` are called there.
///
/// ```swift
/// let watcher = try FileWatcher(base: root, folders: ["Frontend", "Templates"]) { paths in
///     reloads.publish(paths)
/// }
/// defer { watcher.stop() }
/// ```
final class FileWatcher: Sendable {
    private let control: WatcherControl
    private let thread: pthread_t
    /// Whether the thread was joined; held while joining so a second `stop` waits too.
    private let joined = Lock(false)

    /// Starts watching `folders` (relative to `base`) and everything below them.
    /// - Parameters:
    ///   - coalesce: how long after the first change of a burst the burst is reported.
    ///   - onChange: the changed paths, relative to `base`; never empty.
    ///   - onError: problems met after starting (a new folder beyond the inotify watch
    ///     limit, a failing read); the watcher goes on when it can.
    /// - Throws: `FileWatcherError` when a folder is missing or a system limit is reached.
    init(
        base: URL,
        folders: [String],
        coalesce: Duration = .milliseconds(20),
        onChange: @escaping @Sendable (Set<String>) -> Void,
        onError: @escaping @Sendable (FileWatcherError) -> Void = { _ in }
    ) throws(FileWatcherError) {
        for folder in folders where folder.isEmpty || folder.hasPrefix("/")
            || folder.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            throw .invalidFolder(folder)
        }
        let inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard inotify >= 0 else {
            throw errno == EMFILE ? .instanceLimitReached : .system(call: "inotify_init1", errno: errno)
        }
        let wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wake >= 0 else {
            let code = errno
            close(inotify)
            throw .system(call: "eventfd", errno: code)
        }
        let tree: WatchTree
        do {
            let basePath = base.standardizedFileURL.path
            tree = try WatchTree(fd: inotify, base: basePath.hasSuffix("/") ? String(basePath.dropLast()) : basePath, roots: folders)
        } catch {
            close(inotify)
            close(wake)
            throw error
        }
        let control = WatcherControl(inotify: inotify, wake: wake)
        self.control = control
        let loop = WatchLoop(tree: tree, control: control, coalesce: coalesce, onChange: onChange, onError: onError)
        do {
            thread = try spawnThread { loop.run() }
        } catch {
            control.closeDescriptors()
            throw error
        }
    }

    deinit {
        stop()
        // Released by its own callback: nobody is left to join the thread, so let it go.
        if pthread_equal(pthread_self(), thread) != 0 {
            joined.withLock { joined in
                if !joined { pthread_detach(thread) }
                joined = true
            }
        }
    }

    /// Stops watching and closes the inotify descriptor. Once it returns, `onChange` is not
    /// called again: it waits for a callback under way, so do not call it holding a lock that
    /// `onChange` takes. Called from `onChange` itself it returns at once, and no callback
    /// follows. Calling it again is harmless.
    func stop() {
        control.requestStop()
        guard pthread_equal(pthread_self(), thread) == 0 else { return }
        joined.withLock { joined in
            guard !joined else { return }
            pthread_join(thread, nil)
            joined = true
        }
    }
}

/// What the caller's threads and the watcher's thread share: the descriptors and whether
/// to stop. The thread closes the descriptors as it ends, under the same lock `stop` writes
/// to the eventfd with, so `stop` never writes to a descriptor number reused since.
final class WatcherControl: Sendable {
    private struct State {
        var stopRequested = false
        var open = true
    }

    let inotify: Int32
    let wake: Int32
    private let state = Lock(State())

    init(inotify: Int32, wake: Int32) {
        self.inotify = inotify
        self.wake = wake
    }

    var stopRequested: Bool { state.withLock { $0.stopRequested } }

    func requestStop() {
        state.withLock { state in
            guard !state.stopRequested else { return }
            state.stopRequested = true
            if state.open { _ = eventfd_write(wake, 1) }
        }
    }

    func closeDescriptors() {
        state.withLock { state in
            guard state.open else { return }
            state.open = false
            close(inotify)
            close(wake)
        }
    }
}

/// Runs `body` on a new POSIX thread. `body` is handed over (`sending`): nothing else
/// touches what it captures.
private func spawnThread(_ body: sending @escaping () -> Void) throws(FileWatcherError) -> pthread_t {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { argument in
        Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
        return nil
    }, box)
    guard status == 0 else {
        Unmanaged<Box>.fromOpaque(box).release()
        throw .system(call: "pthread_create", errno: status)
    }
    return thread
}
