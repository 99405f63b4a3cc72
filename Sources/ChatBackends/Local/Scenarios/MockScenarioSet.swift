/// Scenarios ready for matching (README "Mock scenarios"): an exact trigger is a table
/// lookup, prefixes are tried longest first, then the regexes in file order; the first
/// scenario listed wins a tie.
struct MockScenarioSet: Sendable {
    private var exact: [String: MockScenario] = [:]
    private var prefixes: [(prefix: String, scenario: MockScenario)] = []
    private var patterns: [(pattern: MockPattern, scenario: MockScenario)] = []
    private(set) var all: [MockScenario] = []

    init(_ scenarios: [MockScenario]) {
        all = scenarios
        for scenario in scenarios {
            for trigger in scenario.triggers {
                switch trigger {
                case .exact(let text): if exact[text] == nil { exact[text] = scenario }
                case .prefix(let text): prefixes.append((text, scenario))
                case .regex(let pattern): patterns.append((pattern, scenario))
                }
            }
        }
        // Stable, so equally long prefixes keep their files' order.
        prefixes = prefixes.enumerated().sorted {
            $0.element.prefix.count != $1.element.prefix.count ? $0.element.prefix.count > $1.element.prefix.count : $0.offset < $1.offset
        }.map(\.element)
    }

    /// The scenario answering `message` (its surrounding whitespace removed), if any.
    func match(_ message: String) -> MockScenario? {
        if let scenario = exact[message] { return scenario }
        if let found = prefixes.first(where: { message.hasPrefix($0.prefix) }) { return found.scenario }
        return patterns.first { $0.pattern.matches(message) }?.scenario
    }
}
