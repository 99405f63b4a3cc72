#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Sockets

/// The static files of one folder, from disk (dev) or compiled in (embedded), each built
/// into an `Asset` on first use and kept.
///
/// Disk entries stay cached until `invalidate(relativePath:)` or `invalidateAll()` (called
/// by the file watcher), so a request costs no `stat`. Paths are relative to the root, as
/// `SafePath` returns them: one store per served folder keeps symlinks from reaching out of
/// that folder.
///
/// ```swift
/// let store = AssetStore(.disk(root: base.appending(path: "Frontend")))
/// // or: AssetStore(.embedded(EmbeddedAssets.decoded(), under: "Frontend"))
/// if let asset = store.asset(at: "app.js") { ... }
/// store.invalidate(relativePath: "app.js")   // after the watcher saw it change
/// ```
final class AssetStore: Sendable {
    /// Where the bytes come from.
    enum Source: Sendable {
        /// Files under `root`, read on first use; symlinks may not lead out of `root`.
        case disk(root: URL)
        /// Files held in memory, keyed by relative path (`"app.js"`, `"css/site.css"`).
        case embedded([String: [UInt8]])

        /// The files of `folder` among `files` keyed by paths like `"Frontend/app.js"`
        /// (what `EmbeddedAssets` holds), re-keyed relative to that folder.
        static func embedded(_ files: [String: [UInt8]], under folder: String) -> Source {
            let prefix = folder.hasSuffix("/") ? folder : folder + "/"
            var inFolder: [String: [UInt8]] = [:]
            for (path, bytes) in files where path.hasPrefix(prefix) {
                inFolder[String(path.dropFirst(prefix.count))] = bytes
            }
            return .embedded(inFolder)
        }
    }

    private struct Cache {
        var assets: [String: Asset] = [:]
        /// Bumped by every invalidation, so a read that raced one is not cached.
        var generation = 0
    }

    private let source: Source
    private let cache = Lock(Cache())

    /// A store serving `source`.
    init(_ source: Source) {
        self.source = source
    }

    /// The file at `relativePath`, or nil when there is none (or it is a directory, or a
    /// symlink leading outside the root).
    func asset(at relativePath: String) -> Asset? {
        let (cached, generation) = cache.withLock { ($0.assets[relativePath], $0.generation) }
        if let cached { return cached }
        // Read and compress outside the lock: two first requests may both build the asset,
        // which is cheaper than making every other request wait.
        guard let bytes = load(relativePath) else { return nil }
        let asset = Asset(path: relativePath, bytes: bytes)
        cache.withLock { cache in
            if cache.generation == generation { cache.assets[relativePath] = asset }
        }
        return asset
    }

    /// Forgets `relativePath`, and everything under it when it names a folder, so the next
    /// request reads it again.
    func invalidate(relativePath: String) {
        let folder = relativePath + "/"
        cache.withLock { cache in
            cache.generation += 1
            cache.assets[relativePath] = nil
            cache.assets = cache.assets.filter { !$0.key.hasPrefix(folder) }
        }
    }

    /// Forgets every file.
    func invalidateAll() {
        cache.withLock { cache in
            cache.generation += 1
            cache.assets = [:]
        }
    }

    private func load(_ relativePath: String) -> [UInt8]? {
        switch source {
        case .embedded(let files): files[relativePath]
        case .disk(let root): Self.readFile(relativePath, under: root)
        }
    }

    /// The bytes of the regular file at `relativePath` under `root`, once symlinks are
    /// resolved and the result is still inside `root`'s own real path.
    private static func readFile(_ relativePath: String, under root: URL) -> [UInt8]? {
        guard !relativePath.isEmpty, let realRoot = realPath(root.path) else { return nil }
        guard let real = realPath(realRoot + "/" + relativePath), real.hasPrefix(realRoot + "/") else {
            return nil
        }
        // O_NOFOLLOW: the path was just resolved, so a symlink here was swapped in since.
        let fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return readAll(fd, sizeHint: Int(info.st_size))
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Reads to end of file (the size may have changed since `fstat`: an editor mid-save).
    private static func readAll(_ fd: Int32, sizeHint: Int) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(sizeHint)
        var buffer = [UInt8](repeating: 0, count: max(4096, min(sizeHint + 1, 1 << 20)))
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }
}
