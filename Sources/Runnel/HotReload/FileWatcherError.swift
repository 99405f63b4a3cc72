import Glibc

/// Why a `FileWatcher` could not start, or stopped watching part of its folders.
enum FileWatcherError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A folder to watch does not exist or is not a folder (the full path).
    case missingFolder(String)
    /// A folder name that is absolute or climbs out of the base with `..`.
    case invalidFolder(String)
    /// The per-user inotify watch limit was reached while watching the folder at this path.
    case watchLimitReached(String)
    /// The per-user limit of inotify instances was reached.
    case instanceLimitReached
    /// Any other failing system call, with its `errno`.
    case system(call: String, errno: Int32)

    var description: String {
        switch self {
        case .missingFolder(let path):
            "cannot watch \(path): no such folder"
        case .invalidFolder(let folder):
            "cannot watch '\(folder)': folders are relative to the base and may not contain '..'"
        case .watchLimitReached(let path):
            "cannot watch \(path): the inotify watch limit is reached; raise it with "
                + "`sudo sysctl fs.inotify.max_user_watches=524288`"
        case .instanceLimitReached:
            "cannot start a file watcher: too many inotify instances; raise the limit with "
                + "`sudo sysctl fs.inotify.max_user_instances=1024`"
        case .system(let call, let code):
            "file watcher: \(call) failed: \(String(cString: strerror(code)))"
        }
    }
}
