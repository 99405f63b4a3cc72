import ChatBackends
import Foundation

/// The `--mocks` folder's scenarios (README "Mock scenarios"): read at start and, in dev
/// mode, again after each saved file, replacing the mock's set as a whole. A bad file is
/// logged with its line (`runnel: mocks/x.txt:12: …`) and left out; the others are served.
final class MockScenarioReloader: Sendable {
    private let watcher: FileWatcher

    /// Watches `folder` and reloads `library` from it after every burst of changes.
    init(folder: String, library: MockScenarioLibrary, coalesce: Duration, log: @escaping @Sendable (String) -> Void) throws {
        let url = URL(fileURLWithPath: folder, isDirectory: true).standardizedFileURL
        watcher = try FileWatcher(base: url.deletingLastPathComponent(), folders: [url.lastPathComponent], coalesce: coalesce) { _ in
            Self.load(folder, into: library, log: log, verb: "reloaded")
        }
    }

    func stop() { watcher.stop() }

    /// Reads `folder` into `library`, logging each bad file, then how many scenarios it
    /// holds (`runnel: --mocks: read 3 scenarios from mocks`).
    static func load(_ folder: String, into library: MockScenarioLibrary, log: @Sendable (String) -> Void, verb: String = "read") {
        let (scenarios, problems) = MockScenarioFolder.load(URL(fileURLWithPath: folder, isDirectory: true), shownAs: folder)
        for problem in problems { log("runnel: \(problem)") }
        library.replaceUserScenarios(scenarios)
        log("runnel: --mocks: \(verb) \(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s") from \(folder)")
    }
}
