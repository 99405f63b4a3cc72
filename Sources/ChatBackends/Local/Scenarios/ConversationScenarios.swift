/// Built-in scenarios (README "Mock scenarios") that converse: the reply to any message
/// no other scenario answers, the same with a reasoning phase first (`/think`, or a
/// question starting with "why", the kind a reasoning model thinks over), and the same
/// failing partway (`/error-mid`). Each quotes the message and the one before it, so a UI
/// shows the history reached the model; a message picks one of three replies by a hash.
enum ConversationScenarios {
    /// How many pieces `/error-mid` sends before failing.
    static let piecesBeforeMidStreamError = 12

    /// The commands, tried with the other commands.
    static let commands: [(name: String, text: String)] = [
        ("think", """
        trigger: regex (?i)^/think(\\s|$)
        --- reasoning
        \(reasoning)
        \(replies)
        """),
        ("error-mid", """
        trigger: regex (?i)^/error-mid(\\s|$)
        fault: error after \(piecesBeforeMidStreamError)
        \(replies)
        """),
    ]

    /// Tried after every other built-in (`TopicScenarios` included: a why-question asking
    /// for a table gets one); the last answers any message.
    static let fallbacks: [(name: String, text: String)] = [
        ("why", """
        # (?=why): the match takes nothing, so {{rest}} is the whole question.
        trigger: regex (?i)^(?=why)
        --- reasoning
        \(reasoning)
        \(replies)
        """),
        ("conversation", """
        # Matches any message, so it comes last.
        trigger: regex ^
        \(replies)
        """),
    ]

    /// What the mock thinks before a reply.
    private static let reasoning = """
    The user asks about \u{201C}{{rest}}\u{201D} (message {{turn}}). I should restate the question, pick the two or three points that matter, and answer with a short example. Keep it concise; end with a next step.
    """

    /// The data block each reply ends with.
    private static let data = """
    ```json
    {
      "reply_to": {{rest:json}},
      "turn": {{turn}},
      "backend": "mock"
    }
    ```
    """

    /// Three `--- reply` sections: markdown with a list, a code block and a JSON block.
    private static let replies = """
    --- reply
    ## Streaming, step by step

    You wrote:

    > {{rest}}

    {{history}} Here is how a reply like this one reaches you:

    1. The server sends **one event per chunk** as soon as the model yields it.
    2. The browser appends each chunk and re-renders the markdown.
    3. At the end, the first JSON value of the reply is extracted with `JSONExtractor`.

    ```swift
    for try await event in backend.stream(request) {
        if case .delta(let text) = event {
            print(text, terminator: "")
        }
    }
    ```

    A summary as data:

    \(data)
    --- reply
    ### A quick checklist

    About \u{201C}{{rest}}\u{201D}: {{history}}

    - **Reproduce** it with the smallest input you can find.
    - **Measure** before changing anything; `time` and logs beat guesses.
    - **Write a test** that fails first, then make it pass.

    ```swift
    func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 0 ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }
    ```

    \(data)

    Tell me more and I will refine the list.
    --- reply
    # Design notes

    {{history}} You asked about:

    > {{rest}}

    Three options, *roughly* in order of effort:

    - **Keep it simple**: one type per idea, with `Sendable` values crossing tasks.
    - **Add a cache** only once a profile shows the cost.
    - **Split the module** when two teams keep editing the same file.

    ```swift
    struct Option: Sendable {
        var name: String
        var effort: Int
    }
    let options = [Option(name: "simple", effort: 1), Option(name: "cache", effort: 3)]
    print(options.min(by: { $0.effort < $1.effort })!.name)
    ```

    \(data)
    """
}
