import Foundation

/// The scenario files of a `--mocks` folder (README "Mock scenarios"): every `*.txt` file
/// directly in it, in name order, each one scenario named after its file. A bad file is
/// reported and left out; the others are served.
public enum MockScenarioFolder {
    /// A file larger than this is reported, not read.
    public static let maxFileBytes = 4 << 20
    /// Files past this many (in name order) are reported, not read.
    public static let maxFiles = 1_000

    /// The scenarios of `directory`, and the problems of the files left out. `shownAs` is
    /// the folder as the user named it, for messages (`mocks`).
    public static func load(_ directory: URL, shownAs: String) -> (scenarios: [MockScenario], problems: [MockScenarioError]) {
        let folder = shownAs.hasSuffix("/") ? String(shownAs.dropLast()) : shownAs
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".txt") && !$0.hasPrefix(".") }
                .sorted()
        } catch {
            return ([], [MockScenarioError(file: folder, line: nil, "cannot list the folder: \(error.localizedDescription)")])
        }
        var scenarios: [MockScenario] = []
        var problems: [MockScenarioError] = []
        for (index, name) in names.enumerated() {
            let shown = folder + "/" + name
            guard index < maxFiles else {
                problems.append(MockScenarioError(file: shown, line: nil, "skipped: a folder holds at most \(maxFiles) scenarios"))
                continue
            }
            let url = directory.appendingPathComponent(name)
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            guard size <= maxFileBytes else {
                problems.append(MockScenarioError(file: shown, line: nil, "larger than \(maxFileBytes) bytes"))
                continue
            }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                problems.append(MockScenarioError(file: shown, line: nil, "cannot be read"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                problems.append(MockScenarioError(file: shown, line: nil, "is not UTF-8 text"))
                continue
            }
            do {
                scenarios.append(try MockScenarioParser.parse(text, name: String(name.dropLast(".txt".count)), source: shown))
            } catch {
                problems.append(error)
            }
        }
        return (scenarios, problems)
    }
}
