/// Parts (README "Mock scenarios", `part:`): scenarios that each answer one thing a
/// message may ask for, so a message asking for several ("a table and python code") gets
/// one reply with a section for each, as a model would write it.
extension MockScenario {
    /// One reply of `parts` (in their order, at least one) under a heading made of their
    /// titles (`## Here is a table, some code and a list`) and a line saying what was asked.
    /// The first part's header (pacing, faults) is the reply's.
    static func joining(_ parts: [MockScenarioSet.Match], values: MockTemplate.Values) -> MockScenario {
        let answered = parts.map { $0.scenario.answering(values.matched($0)) }
        let titles = parts.map { $0.scenario.part ?? $0.scenario.name }
        let listed = titles.count > 1 ? titles.dropLast().joined(separator: ", ") + " and " + titles.last! : titles.joined()
        let intro = MockTemplate.expand("{{history}} You asked: \u{201C}{{message}}\u{201D}", values)
        let first = parts[0].scenario
        return MockScenario(name: parts.map(\.scenario.name).joined(separator: "+"), source: first.source, triggers: first.triggers,
                            reasoning: answered.map(\.reasoning).filter { !$0.isEmpty }.joined(separator: "\n\n"),
                            replies: [(["## Here is \(listed)", intro] + answered.map(\.reply)).joined(separator: "\n\n")],
                            timing: first.timing, faults: first.faults, expanded: true)
    }
}

extension MockTemplate.Values {
    /// These values with what `match`'s trigger took from the message.
    func matched(_ match: MockScenarioSet.Match) -> MockTemplate.Values {
        var values = self
        values.rest = match.rest
        values.captures = match.captures
        return values
    }
}
