import Foundation

/// The mock backend's scripted replies: deterministic text that looks like a model's
/// answer (markdown, a code block, a JSON block) and shows it read the conversation.
enum MockReplies {
    /// The reply to a normal message: what it asks for (a table, code, a list, JSON, math, a
    /// long answer; see `MockTopic`), else one of the scripts. Either way it depends only on
    /// the message text and the turn, so the same message always gets the same reply.
    static func reply(to text: String, turn: Int, previous: String?) -> String {
        let topic = quoted(text)
        let context = turn > 1
            ? "This is message \(turn) of our conversation. Earlier you said \u{201C}\(quoted(previous ?? ""))\u{201D}."
            : "This is message 1 of our conversation."
        let asked = MockTopic.detect(in: text)
        if !asked.topics.isEmpty {
            return shaped(asked.topics, language: asked.language, topic: topic, context: context, turn: turn)
        }
        let data = """
        {
          "reply_to": \(jsonString(topic)),
          "turn": \(turn),
          "words": \(text.split(whereSeparator: \.isWhitespace).count),
          "backend": "mock"
        }
        """
        let scripts = [streamingScript, checklistScript, designScript]
        let script = scripts[Int(stableHash(text) % UInt64(scripts.count))]
        return script(topic, context, data)
    }

    /// Whether a normal message gets a reasoning phase first: one asking "why", the kind
    /// of question a reasoning model thinks over (`/think` asks for it on any message).
    static func thinksFirst(about text: String) -> Bool {
        text.drop(while: \.isWhitespace).prefix(3).lowercased() == "why"
    }

    /// The mock's reasoning before its reply: plain sentences that depend only on the
    /// message and the turn.
    static func reasoning(about text: String, turn: Int) -> String {
        "The user asks about \u{201C}\(quoted(text))\u{201D} (message \(turn)). "
            + "I should restate the question, pick the two or three points that matter, and answer with a short example. "
            + "Keep it concise; end with a next step."
    }

    /// A reply that is mostly one JSON block, for testing `json_data` extraction.
    static func json(about text: String, turn: Int) -> String {
        """
        Here is the structured data you asked for:

        ```json
        {
          "request": \(jsonString(quoted(text))),
          "turn": \(turn),
          "ok": true,
          "score": 0.87,
          "tags": ["mock", "json", "ünïcödé", "日本語"],
          "nested": {"items": [{"id": 1, "label": "first"}, {"id": 2, "label": "second"}], "empty": null}
        }
        ```
        """
    }

    /// Raw HTML and script text that a UI must display, never execute.
    static let html = """
    ## HTML handling test

    This reply contains markup that a chat UI must show as text:

    - An image with a handler: <img src=x onerror=alert(1)>
    - A script tag: <script>alert(1)</script>
    - A link with a script URL: [click me](javascript:alert(1))
    - Entities: &lt;b&gt;not bold&lt;/b&gt; and <b>bold?</b>

    ```html
    <script>alert("from a code block")</script>
    ```
    """

    /// What `/help` answers.
    static let help = """
    ## Mock backend commands

    Ask for a **table**, **code** (in Swift, Python, JavaScript, TypeScript, Go, Rust, SQL,
    Bash, HTML, CSS or a diff), a **list**, **JSON**, **math** or a **long** answer and the
    reply has that shape. Start a message with one of these to shape the reply:

    - `/error` — fail at once with **upstream_unavailable**
    - `/error-mid` — send a few chunks, then fail
    - `/slow` — pace the reply ten times slower (combine: `/slow /long 50`)
    - `/long N` — exactly *N* words of prose (default 2000)
    - `/think` — reason first (a thinking phase), then reply; a message starting with *why* does too
    - `/json` — a reply that is mostly a JSON block
    - `/hang` — never send the first token (until you cancel)
    - `/html` — markup and script text, to check the UI escapes it
    - `/help` — this list
    """

    /// Exactly `count` words of prose, in sentences and paragraphs.
    static func long(words count: Int) -> String {
        let vocabulary = ["stream", "token", "model", "reply", "server", "chunk", "socket", "buffer",
                          "latency", "the", "a", "of", "and", "quickly", "carefully", "every", "browser",
                          "event", "flushes", "arrives", "renders", "waits", "measures", "network"]
        var text = ""
        var state = UInt64(count) &+ 0x9E37_79B9_7F4A_7C15
        for index in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var word = vocabulary[Int((state >> 33) % UInt64(vocabulary.count))]
            let positionInSentence = index % 12
            if positionInSentence == 0 { word = word.prefix(1).uppercased() + word.dropFirst() }
            if positionInSentence == 11 || index == count - 1 { word += "." }
            if index > 0 { text += (index % 60 == 0) ? "\n\n" : " " }
            text += word
        }
        return text
    }

    // MARK: - Scripts

    private static func streamingScript(_ topic: String, _ context: String, _ data: String) -> String {
        """
        ## Streaming, step by step

        You wrote:

        > \(topic)

        \(context) Here is how a reply like this one reaches you:

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

        ```json
        \(data)
        ```
        """
    }

    private static func checklistScript(_ topic: String, _ context: String, _ data: String) -> String {
        """
        ### A quick checklist

        About \u{201C}\(topic)\u{201D}: \(context)

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

        ```json
        \(data)
        ```

        Tell me more and I will refine the list.
        """
    }

    private static func designScript(_ topic: String, _ context: String, _ data: String) -> String {
        """
        # Design notes

        \(context) You asked about:

        > \(topic)

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

        ```json
        \(data)
        ```
        """
    }

    // MARK: - Helpers

    /// The message on one line, shortened, for quoting inside the reply.
    static func quoted(_ text: String, limit: Int = 80) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        if oneLine.isEmpty { return "(an empty message)" }
        return oneLine.count > limit ? oneLine.prefix(limit) + "…" : oneLine
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// FNV-1a: unlike `Hasher`, the same in every process, which determinism needs.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
