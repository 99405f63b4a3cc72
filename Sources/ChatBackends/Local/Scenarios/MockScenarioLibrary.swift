import Foundation
import Synchronization

/// The scenarios the mock answers from: those read from `--mocks DIR` first, then the
/// built-in ones (README "Mock scenarios"). Shared by the mock and whoever reloads the
/// folder, so a saved file takes effect on the next message.
public final class MockScenarioLibrary: Sendable {
    private let builtIn: MockScenarioSet
    private let user = Mutex(MockScenarioSet([]))

    /// A library of the built-in scenarios (`BuiltInScenarios`) and no user ones.
    public init(builtIn: [MockScenario] = BuiltInScenarios.all) {
        self.builtIn = MockScenarioSet(builtIn)
    }

    /// Replaces the user's scenarios (a reload of the folder).
    public func replaceUserScenarios(_ scenarios: [MockScenario]) {
        let set = MockScenarioSet(scenarios)
        user.withLock { $0 = set }
    }

    /// The scenario answering `message`: the user's before the built-in ones.
    public func match(_ message: String) -> MockScenario? {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        return user.withLock { $0.match(text) } ?? builtIn.match(text)
    }

    /// The user's scenarios, in file order.
    public var userScenarios: [MockScenario] { user.withLock { $0.all } }
}
