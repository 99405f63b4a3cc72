import Foundation

/// Dev mode's reaction to saved files: drop the cached copies, then tell every tab what
/// to do (README "Modes") — swap a stylesheet, show a template error, or reload.
final class DevReloader: Sendable {
    private let watcher: FileWatcher

    init(base: URL, frontend: AssetStore, pages: Pages, hub: ReloadHub, coalesce: Duration) throws {
        watcher = try FileWatcher(base: base, folders: ["Frontend", "Templates"], coalesce: coalesce) { changed in
            for path in changed where path.hasPrefix("Frontend/") {
                frontend.invalidate(relativePath: String(path.dropFirst("Frontend/".count)))
            }
            for event in Self.events(for: changed, pages: pages) { hub.broadcast(event) }
        }
    }

    func stop() { watcher.stop() }

    /// What the tabs hear about one coalesced batch of changes.
    static func events(for changed: Set<String>, pages: Pages) -> [JSON] {
        if changed.contains(where: { $0.hasPrefix("Templates/") }) {
            if let error = pages.validate() {
                return [.object([
                    ("type", .string("error")), ("message", .string(error.message)),
                    ("file", .string(error.file)), ("line", .int(error.line)), ("column", .int(error.column)),
                    ("excerpt", .string(error.excerpt)),
                ])]
            }
            return [.object([("type", .string("reload"))])]
        }
        let stylesheets = changed.filter { $0.hasPrefix("Frontend/") && $0.hasSuffix(".css") }
        guard !stylesheets.isEmpty, stylesheets.count == changed.count else {
            return [.object([("type", .string("reload"))])]
        }
        return stylesheets.sorted().map { path in
            .object([("type", .string("css")), ("path", .string("/" + path.dropFirst("Frontend/".count)))])
        }
    }
}
