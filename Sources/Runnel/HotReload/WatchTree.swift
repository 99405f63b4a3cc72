import CSystem
import Glibc

/// The inotify watches over a set of folder trees, and the translation of raw events into
/// changed paths. Owned by the watcher's thread: not thread-safe.
///
/// Every folder of each tree has a watch (inotify is not recursive); each tree's parent
/// folder has one too, so a tree deleted and recreated is watched again.
final class WatchTree {
    /// One event as the kernel reports it.
    struct Event {
        let descriptor: Int32
        let mask: UInt32
        let name: String
    }

    // Same mask for every watch, so a folder that is both a tree's parent and inside another
    // tree never has its mask narrowed by a second inotify_add_watch.
    private static let mask = UInt32(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
        | UInt32(IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)

    private let fd: Int32
    private let base: String
    /// The watched trees' folders relative to `base` ("Frontend", "Templates").
    private let roots: [String]
    /// Watch descriptor → folder (relative to `base`) for every folder inside a tree.
    private var folders: [Int32: String] = [:]
    /// Watch descriptor → the parent folder of some roots, and those roots.
    private var parents: [Int32: (folder: String, roots: [String])] = [:]
    /// Problems met while following changes, for the owner to report.
    private var errors: [FileWatcherError] = []

    /// Watches `roots` (relative to `base`) on the inotify instance `fd`.
    /// - Throws: `FileWatcherError` when a root is missing or the watch limit is reached.
    init(fd: Int32, base: String, roots: [String]) throws(FileWatcherError) {
        self.fd = fd
        self.base = base
        self.roots = roots
        var parentsOfRoots: [String: [String]] = [:]
        for root in roots {
            var info = stat()
            guard stat(base + "/" + root, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw .missingFolder(base + "/" + root)
            }
            parentsOfRoots[Self.parent(of: root), default: []].append(root)
        }
        for (parent, children) in parentsOfRoots {
            parents[try addWatch(parent)] = (parent, children)
        }
        for root in roots {
            var existing: Set<String> = []  // already there: not a change
            try watchTree(root, reportingInto: &existing)
        }
    }

    /// Folds `event` into `changes` (paths relative to `base`), adding and removing watches
    /// as folders come and go.
    func handle(_ event: Event, into changes: inout Set<String>) {
        if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
            rewatchEverything(into: &changes)
            return
        }
        if event.mask & UInt32(IN_IGNORED) != 0 {
            // The folder is gone (or we removed the watch): its descriptor means nothing now.
            folders[event.descriptor] = nil
            parents[event.descriptor] = nil
            return
        }
        guard !event.name.isEmpty, !EditorFiles.isIgnored(event.name) else { return }
        let isFolder = event.mask & UInt32(IN_ISDIR) != 0
        let arrived = event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0
        let left = event.mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0

        if let folder = folders[event.descriptor] {
            let path = folder + "/" + event.name
            if isFolder {
                if left { forgetTree(path, into: &changes) }
                if arrived { watchNewTree(path, into: &changes) }
            } else {
                // Created, written, renamed over or removed: the file at `path` is not what it was.
                changes.insert(path)
            }
        }
        if isFolder, let parent = parents[event.descriptor] {
            let path = parent.folder.isEmpty ? event.name : parent.folder + "/" + event.name
            guard parent.roots.contains(path) else { return }
            // A whole root went or came back (`rm -rf Frontend`, a checkout): report the root.
            if left { forgetTree(path, into: &changes) }
            if arrived {
                changes.insert(path)
                watchNewTree(path, into: &changes)
            }
        }
    }

    /// Removes the errors collected so far and returns them.
    func takeErrors() -> [FileWatcherError] {
        defer { errors = [] }
        return errors
    }

    /// `watchTree` for a folder that appeared while running: failures cannot stop the
    /// watcher, so they are kept for the owner to report.
    private func watchNewTree(_ path: String, into changes: inout Set<String>) {
        do {
            try watchTree(path, reportingInto: &changes)
        } catch {
            errors.append(error)
        }
    }

    /// Watches `path` and every folder below it; files found are reported as changed (they
    /// may have been written before the watch existed: `mkdir a && echo > a/b`).
    private func watchTree(_ path: String, reportingInto changes: inout Set<String>) throws(FileWatcherError) {
        let descriptor: Int32
        do {
            descriptor = try addWatch(path)
        } catch .missingFolder {
            return  // removed again before we got to it: its removal will be reported
        }
        folders[descriptor] = path
        guard let directory = opendir(base + "/" + path) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard name != ".", name != "..", !EditorFiles.isIgnored(name) else { continue }
            let child = path + "/" + name
            if isFolder(child, type: entry.pointee.d_type) {
                try watchTree(child, reportingInto: &changes)
            } else {
                changes.insert(child)
            }
        }
    }

    /// Drops the watches of `path` and below (a folder moved out may still exist elsewhere,
    /// where its events must not be reported) and reports `path` as changed.
    private func forgetTree(_ path: String, into changes: inout Set<String>) {
        let prefix = path + "/"
        for (descriptor, folder) in folders where folder == path || folder.hasPrefix(prefix) {
            if parents[descriptor] == nil { inotify_rm_watch(fd, descriptor) }
            folders[descriptor] = nil
        }
        changes.insert(path)
    }

    /// After a queue overflow nothing is known: start again and report every root.
    private func rewatchEverything(into changes: inout Set<String>) {
        for descriptor in folders.keys where parents[descriptor] == nil {
            inotify_rm_watch(fd, descriptor)
        }
        folders = [:]
        for root in roots {
            changes.insert(root)
            var found: Set<String> = []
            watchNewTree(root, into: &found)
        }
    }

    private func addWatch(_ path: String) throws(FileWatcherError) -> Int32 {
        let full = path.isEmpty ? base : base + "/" + path
        let descriptor = inotify_add_watch(fd, full, Self.mask)
        guard descriptor < 0 else { return descriptor }
        switch errno {
        case ENOENT, ENOTDIR: throw .missingFolder(full)
        case ENOSPC: throw .watchLimitReached(full)
        case let code: throw .system(call: "inotify_add_watch(\(full))", errno: code)
        }
    }

    private func isFolder(_ path: String, type: UInt8) -> Bool {
        if type != UInt8(DT_UNKNOWN) { return type == UInt8(DT_DIR) }
        // Some file systems do not fill d_type; lstat, so a symlink is never followed.
        var info = stat()
        return lstat(base + "/" + path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }
}
