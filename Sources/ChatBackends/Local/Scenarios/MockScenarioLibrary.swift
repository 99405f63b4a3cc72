import Foundation
import Sockets

/// The scenarios the mock answers from: those read from `--mocks DIR` first, then the
/// built-in ones (README "Mock scenarios"). Shared by the mock and whoever reloads the
/// folder, so a saved file takes effect on the next message.
public final class MockScenarioLibrary: Sendable {
    private let builtIn: @Sendable () -> MockScenarioSet
    private let user = Lock(MockScenarioSet([]))

    /// A library of the given built-in scenarios (by default `BuiltInScenarios`, made on
    /// first use) and no user ones yet.
    public init(builtIn scenarios: [MockScenario]? = nil) {
        if let scenarios {
            let set = MockScenarioSet(scenarios)
            builtIn = { set }
        } else {
            builtIn = { Self.shipped }
        }
    }

    /// Made when a message first asks (a static is initialised on first access): cutting
    /// the 20,000-token reply and compiling the patterns took ~40 ms of a debug build's
    /// start, which a server that never uses the mock need not pay.
    private static let shipped = MockScenarioSet(BuiltInScenarios.all)

    /// Replaces the user's scenarios (a reload of the folder).
    public func replaceUserScenarios(_ scenarios: [MockScenario]) {
        let set = MockScenarioSet(scenarios)
        user.withLock { $0 = set }
    }

    /// The scenario answering `message`: the user's before the built-in ones.
    public func match(_ message: String) -> MockScenario? {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        return (user.withLock { $0.match(text) } ?? builtIn().match(text))?.scenario
    }

    /// The scenario answering `message` as it plays: its placeholders filled in from the
    /// conversation (`turn`, the `previous` user message), and when it is a part, joined
    /// with every other part the message asks for (``MockScenario/joining(_:values:)``):
    /// the user's first, then the built-in ones of the titles the user's leave open.
    func answer(_ message: String, turn: Int, previous: String?) -> MockScenario? {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        let user = self.user.withLock { $0 }
        let builtIn = builtIn()
        guard let winner = user.match(text) ?? builtIn.match(text) else { return nil }
        let values = MockTemplate.Values(message: text, rest: text, turn: turn, previous: previous, scenarios: user.all.map(\.name))
        guard winner.scenario.part != nil else {
            return winner.scenario.answering(values.matched(winner))
        }
        let mine = user.parts(matching: text)
        let parts = mine + builtIn.parts(matching: text, except: Set(mine.map { $0.scenario.part! }))
        return MockScenario.joining(parts, values: values)
    }

    /// The user's scenarios, in file order.
    public var userScenarios: [MockScenario] { user.withLock { $0.all } }
}
