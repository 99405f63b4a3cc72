import Foundation
import XCTest
@testable import ChatBackends

/// Matching, the plan a scenario plays (pacing and faults as steps, without a clock),
/// the built-in scenarios and a folder of files (README "Mock scenarios").
final class MockScenarioTests: XCTestCase {
    private func scenario(_ name: String, _ text: String) throws -> MockScenario {
        try MockScenarioParser.parse(text, name: name, source: "mocks/\(name).txt")
    }

    /// The steps a stream of `scenario` plays, with 300 ms to the first token and 25 ms per token by default.
    private func steps(_ scenario: MockScenario, maxTokens: Int? = nil) -> [ScriptedStream.Step] {
        let script = scenario.script(model: "mock-1", inputTokens: 7, pacing: (firstTokenMs: 300, tokenDelayMs: 25), maxTokens: maxTokens)
        return (0..<script.count).map(script.step)
    }

    /// Each step in short: `model`, `r:text@ms`, `d:text@ms`, `fault:name@ms`, `fail:code@ms`, `hang`, `finish`, `usage`.
    private func summary(_ steps: [ScriptedStream.Step]) -> [String] {
        steps.map { step in
            switch step {
            case .event(.model, _): "model"
            case .event(.reasoning(let text), let ms): "r:\(text)@\(ms)"
            case .event(.delta(let text), let ms): "d:\(text)@\(ms)"
            case .event(.wireFault(let fault), let ms): "fault:\(fault.rawValue)@\(ms)"
            case .event(.finish(let reason), _): "finish:\(reason.rawValue)"
            case .event(.usage(let usage), _): "usage:\(usage.outputTokens ?? -1)"
            case .event(let other, _): "other:\(other)"
            case .fail(let error, let ms): "fail:\(error.code.rawValue)@\(ms)"
            case .hang: "hang"
            }
        }
    }

    func testMatchingPrefersUserFilesThenExactThenLongestPrefixThenRegex() throws {
        let library = MockScenarioLibrary(builtIn: [
            try scenario("built-in", "trigger: exact hello\n--- reply\nbuilt-in"),
            try scenario("builtin-regex", "trigger: regex ^/x\n--- reply\nx"),
        ])
        XCTAssertEqual(library.match("  hello \n")?.name, "built-in", "surrounding whitespace is ignored")
        XCTAssertNil(library.match("hello!"))
        library.replaceUserScenarios([
            try scenario("a-regex", "trigger: regex ^/table\n--- reply\nr"),
            try scenario("b-short", "trigger: prefix /ta\n--- reply\ns"),
            try scenario("c-long", "trigger: prefix /table\n--- reply\nl"),
            try scenario("d-exact", "trigger: exact /table wide\n--- reply\ne"),
            try scenario("e-hello", "trigger: exact hello\n--- reply\nmine"),
            try scenario("f-hello", "trigger: exact hello\n--- reply\nsecond"),
        ])
        XCTAssertEqual(library.match("/table wide")?.name, "d-exact")
        XCTAssertEqual(library.match("/table narrow")?.name, "c-long")
        XCTAssertEqual(library.match("/tab")?.name, "b-short")
        XCTAssertEqual(library.match("hello")?.name, "e-hello", "the user's file, the first in name order, before the built-in")
        XCTAssertEqual(library.match("/xyz")?.name, "builtin-regex", "built-ins still answer what no file does")
        XCTAssertNil(library.match("/Table"), "exact and prefix are case-sensitive")
        library.replaceUserScenarios([])
        XCTAssertEqual(library.match("hello")?.name, "built-in")
    }

    func testPacingFirstTokenRateBurstsAndStalls() throws {
        let paced = try scenario("paced", """
        trigger: exact go
        ttft_ms: 100
        tokens_per_second: 30
        --- reasoning
        Hm so
        --- reply
        a b c d
        """)
        // 30 tokens/s: due at 0, 33, 67, 100… ms, so the pauses alternate 33 and 34 without drift.
        XCTAssertEqual(summary(steps(paced)), ["model", "r:Hm@100", "r: so@33", "d:a@34", "d: b@33", "d: c@33", "d: d@34", "finish:stop", "usage:6"])

        let defaults = try scenario("defaults", "trigger: exact go\n--- reply\na b c")
        XCTAssertEqual(summary(steps(defaults)), ["model", "d:a@300", "d: b@25", "d: c@25", "finish:stop", "usage:3"])

        let shaped = try scenario("shaped", """
        trigger: exact go
        tokens_per_second: 0
        burst: at 1 for 3 tokens
        stall: at 4 for 2000 ms
        --- reply
        a b c d e f
        """)
        XCTAssertEqual(summary(steps(shaped)), ["model", "d:a@300", "d: b@0", "d: c@0", "d: d@0", "d: e@2000", "d: f@0", "finish:stop", "usage:6"])

        let timed = try scenario("timed", "trigger: exact go\ntokens_per_second: 10\nburst: at 0 for 3 tokens\nstall: at 3 for 500 ms\n--- reply\na b c d e")
        XCTAssertEqual(summary(steps(timed)), ["model", "d:a@300", "d: b@0", "d: c@0", "d: d@600", "d: e@100", "finish:stop", "usage:5"])
    }

    func testFaultsTakeThePlaceOfAPiece() throws {
        let reply = "--- reply\na b c d e"
        XCTAssertEqual(summary(steps(try scenario("e", "trigger: exact go\nfault: error after 2 upstream_timeout\n\(reply)"))),
                       ["model", "d:a@300", "d: b@25", "fail:upstream_timeout@25"])
        XCTAssertEqual(summary(steps(try scenario("h", "trigger: exact go\nfault: hang after 1\n\(reply)"))),
                       ["model", "d:a@300", "hang"])
        XCTAssertEqual(summary(steps(try scenario("d", "trigger: exact go\nfault: drop after 3\n\(reply)"))),
                       ["model", "d:a@300", "d: b@25", "d: c@25", "fault:drop_connection@25"])
        XCTAssertEqual(summary(steps(try scenario("m", "trigger: exact go\nfault: malformed after 1\nfault: drop after 1\n\(reply)"))),
                       ["model", "d:a@300", "fault:malformed_frame@0", "fault:drop_connection@25"])
        XCTAssertEqual(summary(steps(try scenario("late", "trigger: exact go\nfault: error after 99\n\(reply)"))),
                       ["model", "d:a@300", "d: b@25", "d: c@25", "d: d@25", "d: e@25", "fail:upstream_unavailable@25"],
                       "past the last piece, the fault comes at the end, in place of the finish")
        XCTAssertEqual(summary(steps(try scenario("s", "trigger: exact go\nfault: status 503"))), ["fail:upstream_unavailable@0"])
    }

    func testMaxTokensCutsTheReplyWithLength() throws {
        let reply = "--- reasoning\nHm so\n--- reply\na b c d e"
        let plain = try scenario("cut", "trigger: exact go\n\(reply)")
        XCTAssertEqual(summary(steps(plain, maxTokens: 2)), ["model", "r:Hm@300", "r: so@25", "d:a@25", "d: b@25", "finish:length", "usage:4"],
                       "max_tokens counts the reply's pieces, as the mock's own replies do")
        XCTAssertEqual(summary(steps(plain, maxTokens: 5)).suffix(2), ["finish:stop", "usage:7"], "a reply within the limit is whole")
        let early = try scenario("early", "trigger: exact go\nfault: error after 3\n\(reply)")
        XCTAssertEqual(summary(steps(early, maxTokens: 2)), ["model", "r:Hm@300", "r: so@25", "d:a@25", "fail:upstream_unavailable@25"],
                       "a fault before the cut strikes")
        let late = try scenario("late", "trigger: exact go\nfault: drop after 6\n\(reply)")
        XCTAssertEqual(summary(steps(late, maxTokens: 2)).suffix(2), ["finish:length", "usage:4"], "the cut comes before a later fault")
    }

    func testTheMockPlaysAMatchingScenarioAndFallsBackToItsScripts() async throws {
        let library = MockScenarioLibrary()
        library.replaceUserScenarios([try scenario("hi", "trigger: exact hi\n--- reasoning\nA thought.\n--- reply\nHello *there*.")])
        let mock = MockBackend(ttftMs: 0, tokenDelayMs: 0, scenarios: library)
        let result = await collect(mock.stream(request("hi")))
        XCTAssertNil(result.error)
        XCTAssertEqual(result.text, "Hello *there*.")
        XCTAssertEqual(result.events.first, .model("mock-1"))
        let thoughts = result.events.compactMap { if case .reasoning(let text) = $0 { text } else { nil } }
        XCTAssertEqual(thoughts.joined(), "A thought.")
        XCTAssertEqual(result.usage?.outputTokens, thoughts.count + result.deltas.count)
        XCTAssertEqual(result.usage?.reasoningTokens, thoughts.count)
        XCTAssertNil(mock.refusal(request("hi")))

        let scripted = await collect(mock.stream(request("hi again")))
        XCTAssertTrue(scripted.text.contains("hi again"), "no file's scenario: the built-in conversation about the message")
    }

    func testAStatusFaultRefusesAndFailsTheStreamAlike() async throws {
        let library = MockScenarioLibrary()
        library.replaceUserScenarios([try scenario("busy", "trigger: prefix busy\nfault: status 429")])
        let mock = MockBackend(ttftMs: 0, tokenDelayMs: 0, scenarios: library)
        let refusal = try XCTUnwrap(mock.refusal(request("busy now")))
        XCTAssertEqual(refusal.status, 429)
        let result = await collect(mock.stream(request("busy now")))
        XCTAssertEqual(result.error as? ChatBackendError, refusal)
        XCTAssertTrue(result.events.isEmpty)
    }

    func testEveryBuiltInParsesAndTheStressCasesAreWhatTheySay() async throws {
        XCTAssertEqual(BuiltInScenarios.all.count, BuiltInScenarios.files.count, "a built-in failed to parse")
        XCTAssertEqual(StressScenarios.summaries.count, StressScenarios.files.count)
        for file in BuiltInScenarios.files {
            XCTAssertNoThrow(try MockScenarioParser.parse(file.text, name: file.name, source: file.name))
        }
        let library = MockScenarioLibrary()
        for summary in StressScenarios.summaries {
            XCTAssertNotNil(library.match(summary.command), "\(summary.command) answers")
        }
        XCTAssertEqual(library.match("/fencepost")?.name, "conversation", "a built-in's command is a whole word")

        let long = try XCTUnwrap(library.match("/20k"))
        XCTAssertEqual(MockTokenizer.pieces(of: long.reply).count, 20_000)
        let think = try XCTUnwrap(library.match("/long-think"))
        XCTAssertEqual(MockTokenizer.pieces(of: think.reasoning).count, StressScenarios.longReasoningPieces)
        let fence = try XCTUnwrap(library.match("/fence")).reply
        XCTAssertEqual(fence.components(separatedBy: "```").count - 1, 1, "one fence, never closed")
        let table = try XCTUnwrap(library.match("/wide-table")).reply
        XCTAssertTrue(table.contains("| column 24 |"))
        let unicode = try XCTUnwrap(library.match("/unicode")).reply
        for sample in ["👨‍👩‍👧‍👦", "流式", "ストリーミング", "스트리밍", "البث", "הזרמה"] { XCTAssertTrue(unicode.contains(sample), sample) }
        let burst = try XCTUnwrap(library.match("/burst-stall"))
        XCTAssertEqual(burst.timing.bursts, [.init(at: 0, length: 300)])
        XCTAssertEqual(burst.timing.stalls, [.init(at: 300, length: 5000)])
        XCTAssertEqual(library.match("/429")?.refusalStatus, 429)
        XCTAssertEqual(library.match("/500")?.refusalStatus, 500)

        let help = await collect(MockBackend(ttftMs: 0, tokenDelayMs: 0).stream(request("/help"))).text
        for summary in StressScenarios.summaries { XCTAssertTrue(help.contains("`\(summary.command)`"), summary.command) }
    }

    func testAFolderServesItsGoodFilesAndReportsTheBadOnes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mocks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "trigger: exact one\n--- reply\n1".write(to: folder.appendingPathComponent("one.txt"), atomically: true, encoding: .utf8)
        try "trigger: exact two\nfault: sometimes\n--- reply\n2".write(to: folder.appendingPathComponent("two.txt"), atomically: true, encoding: .utf8)
        try "trigger: exact three\n--- reply\n3".write(to: folder.appendingPathComponent("three.txt"), atomically: true, encoding: .utf8)
        try "not a scenario".write(to: folder.appendingPathComponent("notes.md"), atomically: true, encoding: .utf8)
        try Data([0x74, 0xFF, 0xFE]).write(to: folder.appendingPathComponent("binary.txt"))

        let (scenarios, problems) = MockScenarioFolder.load(folder, shownAs: "mocks/")
        XCTAssertEqual(scenarios.map(\.name), ["one", "three"])
        XCTAssertEqual(scenarios.map(\.source), ["mocks/one.txt", "mocks/three.txt"])
        XCTAssertEqual(problems.map(\.description).sorted(), [
            "mocks/binary.txt: is not UTF-8 text",
            "mocks/two.txt:2: a fault is 'status CODE', 'error [after N] [CODE]', 'hang [after N]', 'drop [after N]' or 'malformed [after N]', not 'sometimes'",
        ])
        let missing = MockScenarioFolder.load(folder.appendingPathComponent("nowhere"), shownAs: "nowhere")
        XCTAssertTrue(missing.scenarios.isEmpty)
        XCTAssertEqual(missing.problems.first?.file, "nowhere")
    }
}
