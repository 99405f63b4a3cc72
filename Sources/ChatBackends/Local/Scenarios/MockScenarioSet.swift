/// Scenarios ready for matching (README "Mock scenarios"): an exact trigger is a table
/// lookup, prefixes are tried longest first, then the regexes in file order; the first
/// scenario listed wins a tie.
struct MockScenarioSet: Sendable {
    /// A scenario answering a message, and what its trigger took from it (for the
    /// placeholders `{{rest}}` and `{{1}}`…).
    struct Match: Sendable {
        var scenario: MockScenario
        var rest: String
        var captures: [String] = []
    }

    private var exact: [String: MockScenario] = [:]
    private var prefixes: [(prefix: String, scenario: MockScenario)] = []
    private var patterns: [(pattern: MockPattern, scenario: MockScenario)] = []
    private(set) var all: [MockScenario] = []
    /// The scenarios with a `part:` title, in file order.
    private var parts: [MockScenario] = []

    init(_ scenarios: [MockScenario]) {
        all = scenarios
        parts = scenarios.filter { $0.part != nil }
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
    func match(_ message: String) -> Match? {
        if let scenario = exact[message] { return Match(scenario: scenario, rest: "") }
        if let found = prefixes.first(where: { message.hasPrefix($0.prefix) }) {
            return Match(scenario: found.scenario, rest: String(message.dropFirst(found.prefix.count).drop(while: \.isWhitespace)))
        }
        for (pattern, scenario) in patterns {
            if let found = pattern.firstMatch(message) { return Match(scenario: scenario, rest: found.rest, captures: found.captures) }
        }
        return nil
    }

    /// The parts answering `message`, in file order: the first of each title that matches,
    /// leaving out the titles in `taken`.
    func parts(matching message: String, except taken: Set<String> = []) -> [Match] {
        var taken = taken
        var found: [Match] = []
        for scenario in parts where !taken.contains(scenario.part!) {
            if let match = Self.match(message, scenario) {
                found.append(match)
                taken.insert(scenario.part!)
            }
        }
        return found
    }

    /// How `scenario`'s first matching trigger matches `message`.
    private static func match(_ message: String, _ scenario: MockScenario) -> Match? {
        for trigger in scenario.triggers {
            switch trigger {
            case .exact(let text) where text == message: return Match(scenario: scenario, rest: "")
            case .prefix(let text) where message.hasPrefix(text):
                return Match(scenario: scenario, rest: String(message.dropFirst(text.count).drop(while: \.isWhitespace)))
            case .regex(let pattern):
                if let found = pattern.firstMatch(message) { return Match(scenario: scenario, rest: found.rest, captures: found.captures) }
            default: continue
            }
        }
        return nil
    }
}
