import XCTest
@testable import ChatBackends

/// What a scenario's text can take from the request (README "Mock scenarios"): placeholders,
/// alternative replies, parts joined into one reply, and a file replacing a built-in.
final class MockScenarioTemplateTests: XCTestCase {
    private func scenario(_ name: String, _ text: String) throws -> MockScenario {
        try MockScenarioParser.parse(text, name: name, source: "mocks/\(name).txt")
    }

    /// A mock answering from the built-ins and `files`, unpaced.
    private func mock(_ files: [MockScenario]) -> MockBackend {
        let library = MockScenarioLibrary()
        library.replaceUserScenarios(files)
        return MockBackend(ttftMs: 0, tokenDelayMs: 0, scenarios: library)
    }

    func testPlaceholdersAreFilledFromTheRequest() async throws {
        let echo = try scenario("echo", #"""
        trigger: regex ^/say (\w+) (\d+)
        --- reasoning
        Turn {{turn}}.
        --- reply
        [{{message}}] [{{rest}}] [{{1}}/{{2}}] [{{previous}}] {{rest:json}} {{ user.name }} {{9}} {{history}}
        """#)
        XCTAssertTrue(echo.isTemplate)
        let history = [ChatMessage(role: .user, content: "first\nquestion"), ChatMessage(role: .assistant, content: "ok")]
        let result = await collect(mock([echo]).stream(request("/say hi 42 to \"you\"", history: history)))
        XCTAssertEqual(result.text, #"[/say hi 42 to "you"] [to "you"] [hi/42] [first question] "to \"you\"" {{ user.name }} {{9}} "#
                       + "This is message 2 of our conversation. Earlier you said \u{201C}first question\u{201D}.")
        XCTAssertEqual(result.events.compactMap { if case .reasoning(let text) = $0 { text } else { nil } }.joined(), "Turn 2.")
        XCTAssertEqual(result.usage?.outputTokens, MockTokenizer.pieces(of: result.text).count + MockTokenizer.pieces(of: "Turn 2.").count)

        let fixed = try scenario("fixed", "trigger: exact a\n--- reply\nno {placeholders} here")
        XCTAssertFalse(fixed.isTemplate, "a fixed reply is cut into pieces once, when it is made")
    }

    func testAlternativeRepliesArePickedByTheMessage() async throws {
        let many = try scenario("many", "trigger: prefix pick\n--- reply\none\n--- reply\ntwo\n--- reply\nthree\n--- json\n{\"n\": 1}")
        XCTAssertEqual(many.replies, ["one", "two", "three"].map { $0 + "\n\n```json\n{\"n\": 1}\n```" }, "the json block ends every reply")
        let backend = mock([many])
        var seen = Set<String>()
        for index in 0..<12 {
            let first = await collect(backend.stream(request("pick \(index)"))).text
            let again = await collect(backend.stream(request("pick \(index)"))).text
            XCTAssertEqual(first, again, "the same message gets the same reply")
            seen.insert(String(first.prefix(while: { $0 != "\n" })))
        }
        XCTAssertGreaterThan(seen.count, 1)
    }

    func testPartsJoinAndAFileReplacesABuiltInPartOrCommand() async throws {
        let table = try scenario("my-table", "trigger: regex (?i)\\btable\\b\npart: a table\n--- reply\nMY TABLE for {{rest}}")
        let error = try scenario("my-error", "trigger: regex ^/error(\\s|$)\n--- reply\nno error today")
        let backend = mock([table, error])
        let text = await collect(backend.stream(request("a table and a list"))).text
        XCTAssertTrue(text.hasPrefix("## Here is a table and a list\n\nThis is message 1 of our conversation. You asked: \u{201C}a table and a list\u{201D}\n\nMY TABLE for a table and a list\n\n"), text)
        XCTAssertTrue(text.contains("\n1. The browser **POSTs**"), "the built-in list part still answers")
        XCTAssertFalse(text.contains("| Backend |"), "the file's part replaces the built-in one of its title")
        let replaced = await collect(backend.stream(request("/error")))
        XCTAssertNil(replaced.error)
        XCTAssertEqual(replaced.text, "no error today")
        let help = await collect(backend.stream(request("/help"))).text
        XCTAssertTrue(help.contains("(they come first): **my-table**, **my-error**."), help)
        let alone = await collect(mock([]).stream(request("/help"))).text
        XCTAssertTrue(alone.contains("(they come first): none."))
    }

    func testSlowStretchesAScenarioAndAnEmptyMessageIsAnswered() async throws {
        let start = ContinuousClock.now
        let result = await collect(MockBackend(ttftMs: 10, tokenDelayMs: 0).stream(request("/slow /fence")))
        XCTAssertTrue(result.text.contains("```python"))
        XCTAssertGreaterThanOrEqual(millisecondsSince(start), 100)
        let empty = await collect(MockBackend(ttftMs: 0, tokenDelayMs: 0).stream(request("/slow")))
        XCTAssertNil(empty.error)
        XCTAssertTrue(empty.text.contains("(an empty message)"), empty.text)
    }

    func testAFaultBeforeTheFirstPieceSendsNothing() throws {
        let early = try scenario("early", "trigger: exact go\nttft_ms: 0\nfault: error\n--- reply\na b")
        let script = early.script(model: "mock-1", inputTokens: 1, pacing: (firstTokenMs: 300, tokenDelayMs: 25))
        let steps = (0..<script.count).map(script.step)
        XCTAssertEqual(steps.count, 1)
        guard case .fail(let error, 0) = steps[0] else { return XCTFail("\(steps)") }
        XCTAssertEqual(error.code, .upstreamUnavailable)
        XCTAssertTrue(error.message.contains("injected"), error.message)
    }
}
