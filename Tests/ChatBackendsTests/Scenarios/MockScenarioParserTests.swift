import Foundation
import XCTest
@testable import ChatBackends

/// The scenario file format (README "Mock scenarios"): what a good file gives, and each
/// mistake reported with its file and line.
final class MockScenarioParserTests: XCTestCase {
    private func parse(_ text: String) throws(MockScenarioError) -> MockScenario {
        try MockScenarioParser.parse(text, name: "sample", source: "mocks/sample.txt")
    }

    private func assertError(_ text: String, line: Int?, mentions words: [String], file: StaticString = #filePath, at: UInt = #line) {
        do throws(MockScenarioError) {
            let scenario = try parse(text)
            XCTFail("parsed, expected an error: \(scenario.name)", file: file, line: at)
        } catch {
            XCTAssertEqual(error.file, "mocks/sample.txt", file: file, line: at)
            XCTAssertEqual(error.line, line, error.description, file: file, line: at)
            for word in words { XCTAssertTrue(error.message.contains(word), "'\(word)' missing from: \(error)", file: file, line: at) }
            let prefix = line.map { "mocks/sample.txt:\($0): " } ?? "mocks/sample.txt: "
            XCTAssertTrue(error.description.hasPrefix(prefix), error.description, file: file, line: at)
        }
    }

    func testAFullFile() throws {
        let scenario = try parse("""
        # A comment, then the header
        trigger: exact hello there
        trigger: prefix /table
        trigger: regex (?i)^why
        ttft_ms: 120
        tokens_per_second: 40.5
        burst: at 10 for 50 tokens
        stall: at 60 for 3000 ms
        fault: malformed after 3
        fault: error after 12 upstream_rate_limited

        --- reasoning

        Think first.
        --- reply
        | a | b |
        |---|---|

        ---
        The rule above is markdown, and this line too:
        --- not a section
        --- json
        {"ok": true}
        """)
        XCTAssertEqual(scenario.triggers.count, 3)
        guard case .exact("hello there") = scenario.triggers[0], case .prefix("/table") = scenario.triggers[1],
              case .regex(let pattern) = scenario.triggers[2] else { return XCTFail("triggers: \(scenario.triggers)") }
        XCTAssertEqual(pattern.source, "(?i)^why")
        XCTAssertEqual(scenario.timing, MockScenario.Timing(firstTokenMs: 120, tokensPerSecond: 40.5,
                                                           bursts: [.init(at: 10, length: 50)], stalls: [.init(at: 60, length: 3000)]))
        XCTAssertEqual(scenario.faults, [.malformed(after: 3), .error(after: 12, code: .upstreamRateLimited)])
        XCTAssertEqual(scenario.reasoning, "Think first.")
        XCTAssertEqual(scenario.reply, """
        | a | b |
        |---|---|

        ---
        The rule above is markdown, and this line too:
        --- not a section

        ```json
        {"ok": true}
        ```
        """)
        XCTAssertEqual(JSONExtractor.firstJSON(in: scenario.reply), #"{"ok":true}"#)
    }

    func testDefaultsAndShortForms() throws {
        let scenario = try parse("trigger: exact hi\r\nfault: hang\r\n--- reply\r\nHello\r\n")
        XCTAssertEqual(scenario.timing, MockScenario.Timing())
        XCTAssertEqual(scenario.faults, [.hang(after: 0)])
        XCTAssertEqual(scenario.reply, "Hello")
        XCTAssertEqual(scenario.reasoning, "")
        let drop = try parse("trigger: exact hi\nfault: drop after 4\nfault: malformed\n--- reply\nHello")
        XCTAssertEqual(drop.faults, [.drop(after: 4), .malformed(after: 0)])
        let error = try parse("trigger: exact hi\nfault: error\n--- reply\nHello")
        XCTAssertEqual(error.faults, [.error(after: 0, code: .upstreamUnavailable)])
    }

    func testAStatusNeedsNoReply() throws {
        let scenario = try parse("trigger: exact busy\nfault: status 429\n")
        XCTAssertEqual(scenario.refusalStatus, 429)
        XCTAssertEqual(scenario.refusal?.code, .upstreamRateLimited)
        XCTAssertEqual(scenario.refusal?.status, 429)
        XCTAssertEqual(try parse("trigger: exact down\nfault: status 500").refusal?.code, .upstreamUnavailable)
        XCTAssertEqual(try parse("trigger: exact who\nfault: status 401").refusal?.code, .upstreamAuth)
        XCTAssertNil(try parse("trigger: exact hi\n--- reply\nok").refusal)
    }

    func testEachMistakeNamesItsLine() {
        assertError("trigger: exact a\nttft_ms: soon\n--- reply\nx", line: 2, mentions: ["ttft_ms", "soon"])
        assertError("trigger: exact a\nttft_ms: 600001\n--- reply\nx", line: 2, mentions: ["ttft_ms", "600000"])
        assertError("trigger: exact a\n\n# note\ncolour: red\n--- reply\nx", line: 4, mentions: ["unknown key 'colour'", "trigger"])
        assertError("trigger: exact a\njust words\n--- reply\nx", line: 2, mentions: ["key: value"])
        assertError("trigger: starts a\n--- reply\nx", line: 1, mentions: ["exact TEXT", "starts"])
        assertError("trigger: prefix\n--- reply\nx", line: 1, mentions: ["needs its text"])
        assertError("trigger: exact a\ntrigger: regex ([a-\n--- reply\nx", line: 2, mentions: ["regex", "does not compile"])
        assertError("trigger: exact a\ntokens_per_second: -3\n--- reply\nx", line: 2, mentions: ["tokens_per_second"])
        assertError("trigger: exact a\nburst: 10 tokens\n--- reply\nx", line: 2, mentions: ["at PIECE for N tokens"])
        assertError("trigger: exact a\nstall: at 5 for 2 s\n--- reply\nx", line: 2, mentions: ["at PIECE for N ms"])
        assertError("trigger: exact a\nfault: explode\n--- reply\nx", line: 2, mentions: ["explode", "status CODE"])
        assertError("trigger: exact a\nfault: status 200\n", line: 2, mentions: ["status", "400"])
        assertError("trigger: exact a\nfault: error after 3 nope\n--- reply\nx", line: 2, mentions: ["unknown error code 'nope'"])
        assertError("trigger: exact a\nfault: hang after\n--- reply\nx", line: 2, mentions: ["'after' needs a count"])
        assertError("trigger: exact a\nfault: drop after 3\nfault: hang after 5\n--- reply\nx", line: 3, mentions: ["only one of"])
        assertError("trigger: exact a\nfault: status 429\nfault: malformed\n", line: 3, mentions: ["cannot be combined"])
        assertError("trigger: exact a\n--- replies\nx", line: 2, mentions: ["unknown section '--- replies'", "'--- reply'"])
        assertError("trigger: exact a\n--- reasoning\nx\n--- reasoning\ny\n--- reply\nz", line: 4, mentions: ["second '--- reasoning'", "line 2"])
        assertError("trigger: exact a\n--- reply\nx\n--- json\n{\"a\": }", line: 4, mentions: ["not valid JSON"])
        assertError("ttft_ms: 5\n--- reply\nx", line: 1, mentions: ["no 'trigger:' line"])
        assertError("trigger: exact a\nttft_ms: 5\n", line: 3, mentions: ["no '--- reply' section"])
    }
}
