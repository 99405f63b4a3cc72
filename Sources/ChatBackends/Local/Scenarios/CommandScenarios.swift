/// Built-in scenarios (README "Mock scenarios") answering the mock's own commands, the
/// first word of a message in any case: `/help`, `/error`, `/hang`, `/html`, `/json`.
/// (`/think` and `/error-mid` are in `ConversationScenarios`; `/slow` and `/long N` are
/// code, `MockCommand`.)
enum CommandScenarios {
    static let files: [(name: String, text: String)] = [
        ("help", """
        trigger: regex (?i)^/help(\\s|$)
        --- reply
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

        More, for stress-testing a UI:

        \(StressScenarios.summaries.map { "- `\($0.command)` — \($0.what)" }.joined(separator: "\n"))

        All of these are scenarios (README "Mock scenarios"); a file of `--mocks` with the same
        trigger replaces one. Scenarios from `--mocks` (they come first): {{scenarios}}.
        """),
        ("error", """
        trigger: regex (?i)^/error(\\s|$)
        ttft_ms: 0
        fault: error
        --- reply
        (never sent: the reply fails before its first piece)
        """),
        ("hang", """
        trigger: regex (?i)^/hang(\\s|$)
        fault: hang
        --- reply
        (never sent: the first piece never comes)
        """),
        ("html", """
        trigger: regex (?i)^/html(\\s|$)
        --- reply
        ## HTML handling test

        This reply contains markup that a chat UI must show as text:

        - An image with a handler: <img src=x onerror=alert(1)>
        - A script tag: <script>alert(1)</script>
        - A link with a script URL: [click me](javascript:alert(1))
        - Entities: &lt;b&gt;not bold&lt;/b&gt; and <b>bold?</b>

        ```html
        <script>alert("from a code block")</script>
        ```
        """),
        ("json", """
        trigger: regex (?i)^/json(\\s|$)
        --- reply
        \(jsonReply(about: "rest"))
        """),
    ]

    /// A reply that is mostly one JSON block, for testing `json_data` extraction; its
    /// `request` is the placeholder `about` names.
    static func jsonReply(about placeholder: String) -> String {
        """
        Here is the structured data you asked for:

        ```json
        {
          "request": {{\(placeholder):json}},
          "turn": {{turn}},
          "ok": true,
          "score": 0.87,
          "tags": ["mock", "json", "ünïcödé", "日本語"],
          "nested": {"items": [{"id": 1, "label": "first"}, {"id": 2, "label": "second"}], "empty": null}
        }
        ```
        """
    }
}
