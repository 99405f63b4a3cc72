import XCTest
@testable import ChatBackends

final class MockBackendTests: XCTestCase {
    /// Unpaced, so tests run fast; pacing has its own tests.
    let instant = MockBackend(ttftMs: 0, tokenDelayMs: 0)

    func testRepliesAreDeterministicAndQuoteTheMessage() async {
        let first = await collect(instant.stream(request("How do I stream tokens?")))
        let second = await collect(instant.stream(request("How do I stream tokens?")))
        XCTAssertNil(first.error)
        XCTAssertEqual(first.deltas, second.deltas)
        XCTAssertTrue(first.text.contains("How do I stream tokens?"))
        XCTAssertTrue(first.text.contains("This is message 1 of our conversation"))
    }

    func testDifferentMessagesUseDifferentScripts() async {
        var headings = Set<String>()
        for index in 0..<12 {
            let reply = await collect(instant.stream(request("question number \(index)"))).text
            headings.insert(String(reply.prefix(while: { $0 != "\n" })))
        }
        XCTAssertGreaterThan(headings.count, 1)
    }

    func testReplyHasMarkdownCodeAndAJSONBlockThatExtracts() async throws {
        let result = await collect(instant.stream(request("Tell me about \"quotes\" and \\ slashes")))
        let text = result.text
        XCTAssertTrue(text.contains("```swift\n"))
        XCTAssertTrue(text.contains("```json\n"))
        XCTAssertTrue(text.contains("**"))
        XCTAssertTrue(text.contains("- ") || text.contains("1. "))
        let json = try XCTUnwrap(JSONExtractor.firstJSON(in: text))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(object["reply_to"] as? String, "Tell me about \"quotes\" and \\ slashes")
        XCTAssertEqual(object["turn"] as? Int, 1)
    }

    func testFollowUpShowsItSeesTheHistory() async {
        let history = [ChatMessage(role: .user, content: "What is SSE?"),
                       ChatMessage(role: .assistant, content: "Server-sent events.")]
        let text = await collect(instant.stream(request("And chunked encoding?", history: history))).text
        XCTAssertTrue(text.contains("This is message 2 of our conversation"))
        XCTAssertTrue(text.contains("What is SSE?"))
    }

    func testDeltasAreTokenSizedAndModelAndUsageAreReported() async {
        let result = await collect(instant.stream(request("Explain backpressure")))
        XCTAssertEqual(result.events.first, .model("mock-1"))
        guard case .usage(let usage)? = result.events.last else { return XCTFail("usage comes last") }
        XCTAssertEqual(usage.outputTokens, result.deltas.count)
        XCTAssertGreaterThan(result.deltas.count, 100)
        XCTAssertFalse(result.deltas.contains(""))
        for delta in result.deltas {
            XCTAssertLessThanOrEqual(delta.filter { !$0.isWhitespace }.count, 5, "token too long: \(delta)")
        }
    }

    func testLongSendsExactlyNWords() async {
        let text = await collect(instant.stream(request("/long 137"))).text
        XCTAssertEqual(text.split(whereSeparator: \.isWhitespace).count, 137)
        let defaultText = await collect(instant.stream(request("/long"))).text
        XCTAssertEqual(defaultText.split(whereSeparator: \.isWhitespace).count, 2000)
    }

    func testErrorFailsBeforeAnyChunk() async {
        let result = await collect(instant.stream(request("/error")))
        XCTAssertEqual(result.events, [])
        XCTAssertEqual(result.backendError?.code, .upstreamUnavailable)
        XCTAssertTrue(result.backendError?.message.contains("mock: injected upstream failure") ?? false)
    }

    func testErrorMidFailsAfterSomeChunks() async {
        let result = await collect(instant.stream(request("/error-mid please")))
        XCTAssertEqual(result.deltas.count, ConversationScenarios.piecesBeforeMidStreamError)
        XCTAssertEqual(result.backendError?.code, .upstreamUnavailable)
    }

    func testJSONReplyIsMostlyJSON() async throws {
        let text = await collect(instant.stream(request("/json inventory"))).text
        let json = try XCTUnwrap(JSONExtractor.firstJSON(in: text))
        XCTAssertTrue(json.contains(#""request":"inventory""#))
        XCTAssertGreaterThan(json.count * 2, text.count)
    }

    func testHTMLReplyCarriesScriptText() async {
        let text = await collect(instant.stream(request("/html"))).text
        XCTAssertTrue(text.contains("<img src=x onerror=alert(1)>"))
        XCTAssertTrue(text.contains("<script>alert(1)</script>"))
    }

    func testHelpListsTheCommands() async {
        let text = await collect(instant.stream(request("/help"))).text
        for command in ["/error", "/error-mid", "/slow", "/long N", "/json", "/hang", "/html"] {
            XCTAssertTrue(text.contains("`\(command)"), "missing \(command)")
        }
    }

    func testFirstTokenWaitsForTTFT() async throws {
        let start = ContinuousClock.now
        var firstDeltaMs: Double?
        for try await event in MockBackend(ttftMs: 80, tokenDelayMs: 0).stream(request("hi")) {
            if case .delta = event, firstDeltaMs == nil { firstDeltaMs = millisecondsSince(start) }
        }
        XCTAssertGreaterThanOrEqual(firstDeltaMs ?? 0, 80)
    }

    func testSlowStretchesPacingTenfold() async {
        let start = ContinuousClock.now
        let result = await collect(MockBackend(ttftMs: 10, tokenDelayMs: 0).stream(request("/slow /long 3")))
        XCTAssertEqual(result.text.split(separator: " ").count, 3)
        XCTAssertGreaterThanOrEqual(millisecondsSince(start), 100)
    }

    func testHangEndsPromptlyWhenTheConsumerIsCancelled() async throws {
        let stream = MockBackend(ttftMs: 0, tokenDelayMs: 0).stream(request("/hang"))
        let started = expectation(description: "consumer started")
        let consumer = Task {
            started.fulfill()
            var events = 0
            for try await _ in stream { events += 1 }
            return events
        }
        await fulfillment(of: [started], timeout: 5)
        let start = ContinuousClock.now
        consumer.cancel()
        let events = try await consumer.value
        let elapsed = millisecondsSince(start)
        print("mock /hang ended \(elapsed) ms after cancel")
        XCTAssertEqual(events, 0)
        XCTAssertLessThan(elapsed, 1000)
    }

    func testBreakingOutOfAPacedStreamStopsIt() async {
        let backend = MockBackend(ttftMs: 0, tokenDelayMs: 60_000)
        var received = 0
        do {
            for try await event in backend.stream(request("hello")) {
                if case .delta = event { received += 1; break }
            }
        } catch {
            XCTFail("unexpected error \(error)")
        }
        XCTAssertEqual(received, 1)
    }

    // MARK: - Replies shaped by what the message asks for

    private func reply(_ text: String) async -> String {
        await collect(instant.stream(request(text))).text
    }

    func testATableRequestGetsAMarkdownTable() async {
        let text = await reply("Compare the backends in a table")
        XCTAssertTrue(text.contains("| Backend | Model |"))
        XCTAssertTrue(text.contains("|:--------|:------|------------:|"), "a delimiter row with alignments")
        let rows = text.split(separator: "\n").filter { $0.hasPrefix("| `") }
        XCTAssertEqual(rows.count, 4)
        XCTAssertFalse(text.contains("```"), "nothing but the table was asked for")
    }

    func testCodeComesInTheLanguageAskedDefaultingToSwift() async {
        let cases = ["Write a python function": "python", "some Rust code please": "rust", "a SQL query example": "sql",
                     "show me a bash script": "bash", "html snippet": "html", "css example": "css", "typescript code": "typescript",
                     "javascript code": "javascript", "code in go": "go", "a diff example": "diff", "write a function": "swift"]
        for (message, language) in cases {
            let text = await reply(message)
            XCTAssertTrue(text.contains("```\(language)\n"), "\(message) → \(language): \(text.prefix(200))")
            XCTAssertEqual(text.components(separatedBy: "```").count, 3, "one fenced block for \(message)")
            XCTAssertNotEqual(JSONExtractor.firstJSON(in: text), "{}", "no empty JSON panel for a \(language) sample")
        }
    }

    func testListJSONMathAndLongRequests() async throws {
        let list = await reply("Give me a list of steps")
        XCTAssertTrue(list.contains("\n1. ") && list.contains("\n- ") && list.contains("   - "), "ordered, unordered and nested items")
        let json = await reply("Show me a JSON example")
        XCTAssertTrue(json.contains("```json\n"))
        XCTAssertEqual(json.components(separatedBy: "```").count, 3, "the JSON block only, no code block besides")
        XCTAssertNotNil(JSONExtractor.firstJSON(in: json))
        let math = await reply("explain the math")
        XCTAssertTrue(math.contains("$e^{i\\pi} + 1 = 0$"), "inline math")
        XCTAssertTrue(math.contains("$$\n\\sum_{k=1}^{n} k"), "display math")
        let long = await reply("write a long essay")
        XCTAssertGreaterThan(long.split(whereSeparator: \.isWhitespace).count, 600)
        let notLong = await reply("how long does it take?")
        XCTAssertLessThan(notLong.split(whereSeparator: \.isWhitespace).count, 300, "\"how long\" asks for no essay")
    }

    func testShapedRepliesCombineInAFixedOrderAndAreDeterministic() async {
        let text = await reply("a list and a table, with python code")
        let table = text.range(of: "| Backend")?.lowerBound
        let code = text.range(of: "```python")?.lowerBound
        let list = text.range(of: "\n1. ")?.lowerBound
        XCTAssertTrue(text.hasPrefix("## Here is a table, some code and a list\n"), String(text.prefix(80)))
        if let table, let code, let list { XCTAssertTrue(table < code && code < list) } else { XCTFail("a section is missing") }
        let again = await reply("a list and a table, with python code")
        XCTAssertEqual(text, again)
        XCTAssertTrue(text.contains("This is message 1 of our conversation"))
        let goNow = await reply("I will go now, show me code")
        XCTAssertTrue(goNow.contains("```swift\n"), "\"go\" alone is not the language")
        let listen = await reply("listen to the chunks")
        XCTAssertFalse(listen.hasPrefix("## Here is"), "whole words only")
        let rustInGo = await reply("rust code in go")
        XCTAssertTrue(rustInGo.contains("```rust\n") && !rustInGo.contains("```go"), "one code block, in the first language named")
    }
}
