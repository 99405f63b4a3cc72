/// Built-in scenarios (README "Mock scenarios") for what a message asks for in its words
/// (whole words, any case): a table, code (in a named language, Swift by default), a list,
/// JSON, math, a long answer; so a UI can be tried on each kind of markdown by asking for
/// it ("a table of…", "python code for…"). Each is a part (`part:`), so a message asking
/// for several gets one reply with a section for each, in this order. Named after their
/// topic with a `topic-` prefix.
enum TopicScenarios {
    /// Words of the long-answer part.
    static let longAnswerWords = 600

    static let files: [(name: String, text: String)] = [
        ("table", """
        trigger: regex (?i)\\b(tables?|tabular|compare|comparison)\\b
        part: a table
        --- reply
        \(table)
        """),
        code("swift", fence: "swift", trigger: "(?i)\\bswift\\b"),
        code("python", fence: "python", trigger: "(?i)\\b(python|py)\\b"),
        code("javascript", fence: "javascript", trigger: "(?i)\\b(javascript|js|node)\\b"),
        code("typescript", fence: "typescript", trigger: "(?i)\\b(typescript|ts)\\b"),
        code("go", fence: "go", trigger: "(?i)\\bgolang\\b"),
        code("rust", fence: "rust", trigger: "(?i)\\brust\\b"),
        code("sql", fence: "sql", trigger: "(?i)\\b(sql|sqlite|postgres)\\b"),
        code("bash", fence: "bash", trigger: "(?i)\\b(bash|shell|sh|zsh)\\b"),
        code("html", fence: "html", trigger: "(?i)\\bhtml\\b"),
        code("css", fence: "css", trigger: "(?i)\\bcss\\b"),
        code("diff", fence: "diff", trigger: "(?i)\\b(diff|patch)\\b"),
        // "go" is too common a word to mean the language unless it is "in go" or "go code",
        // and then only when no other language is named.
        code("in-go", fence: "go", trigger: "(?i)\\bin\\W+go\\b|\\bgo\\W+code\\b"),
        // Code in no named language is Swift; JSON asked for as code is the JSON part alone.
        code("any", fence: "swift", trigger: "(?is)^(?!.*\\bjson\\b).*\\b(code|function|snippet|program|script|implement|class|example)\\b"),
        ("list", """
        trigger: regex (?i)\\b(lists?|bullets?|steps|points|checklist)\\b
        part: a list
        --- reply
        \(list)
        """),
        ("json", """
        trigger: regex (?i)\\bjson\\b
        part: JSON
        --- reply
        \(CommandScenarios.jsonReply(about: "message"))
        """),
        ("math", """
        trigger: regex (?i)\\b(maths?|equations?|formulas?|latex)\\b
        part: some math
        --- reply
        \(math)
        """),
        ("long", """
        # "how long does it take?" asks for no essay.
        trigger: regex (?is)^(?!.*\\bhow\\W+long\\b).*\\b(long|longer|essay|detailed)\\b
        part: a long answer
        --- reply
        \(MockText.prose(words: longAnswerWords))
        """),
    ].map { ("topic-" + $0.name, $0.text) }

    /// A code part: a short program that reverses the words of a sentence, in one language.
    /// The languages are tried in this order; the first named answers.
    private static func code(_ name: String, fence: String, trigger: String) -> (name: String, text: String) {
        ("code-" + name, """
        trigger: regex \(trigger)
        part: some code
        --- reply
        ```\(fence)
        \(samples[fence]!)
        ```
        """)
    }

    private static let table = """
    | Backend | Model | First token | Speed | Notes |
    |:--------|:------|------------:|------:|:------|
    | `mock` | mock-1 | 300 ms | 40 tok/s | **deterministic**, paced like a model |
    | `echo` | echo | 0 ms | instant | the message back, word by word |
    | `openai` | gpt-4o-mini | ~400 ms | ~80 tok/s | any OpenAI-compatible server |
    | `anthropic` | claude | ~600 ms | ~60 tok/s | Messages API, `stream: true` |
    """

    private static let list = """
    What happens to a message, in order:

    1. The browser **POSTs** it to `/api/message`.
    2. The server picks the backend and starts a reply.
       - The reply gets an id, so a reload can resume it.
       - Its events go into a bounded log.
    3. Chunks stream back as Server-Sent Events.

    And what to check in a UI:

    - Markdown renders *while* it streams.
    - Stop ends the reply in every tab.
    - ~~Polling~~ is never needed.
    """

    private static let math = """
    Inline, Euler's identity: $e^{i\\pi} + 1 = 0$, and the mean of $n$ values is $\\bar{x} = \\frac{1}{n}\\sum_i x_i$.

    On a line of its own, the sum of the first $n$ integers:

    $$
    \\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}
    $$
    """

    private static let samples: [String: String] = [
        "swift": """
        /// The words of `sentence` in reverse order.
        func reversedWords(_ sentence: String) -> String {
            sentence.split(separator: " ").reversed().joined(separator: " ")
        }
        print(reversedWords("hello streaming world"))  // "world streaming hello"
        """,
        "python": """
        def reversed_words(sentence: str) -> str:
            \"\"\"The words of sentence in reverse order.\"\"\"
            return " ".join(reversed(sentence.split()))

        print(reversed_words("hello streaming world"))  # world streaming hello
        """,
        "javascript": """
        // The words of a sentence in reverse order.
        const reversedWords = (sentence) => sentence.split(/\\s+/).reverse().join(' ');
        console.log(reversedWords(`hello ${'streaming'} world`)); // "world streaming hello"
        """,
        "typescript": """
        type Separator = ' ' | '\\t';
        export function reversedWords(sentence: string, separator: Separator = ' '): string {
          return sentence.split(separator).reverse().join(separator);
        }
        """,
        "go": """
        package main

        import ("fmt"; "strings")

        func reversedWords(s string) string {
        \twords := strings.Fields(s)
        \tfor i, j := 0, len(words)-1; i < j; i, j = i+1, j-1 {
        \t\twords[i], words[j] = words[j], words[i]
        \t}
        \treturn strings.Join(words, " ")
        }

        func main() { fmt.Println(reversedWords("hello streaming world")) }
        """,
        "rust": """
        fn reversed_words(sentence: &str) -> String {
            sentence.split_whitespace().rev().collect::<Vec<_>>().join(" ")
        }

        fn main() {
            let reversed = reversed_words("hello streaming world");
            println!("{reversed}"); // world streaming hello
        }
        """,
        "sql": """
        -- Replies per backend, slowest first.
        SELECT backend, COUNT(*) AS replies, AVG(first_token_ms) AS ttft
        FROM replies
        WHERE created_at > '2025-01-01'
        GROUP BY backend
        ORDER BY ttft DESC;
        """,
        "bash": """
        #!/usr/bin/env bash
        # Stream a reply with curl and print each chunk as it arrives.
        set -euo pipefail
        PORT="${PORT:-8080}"
        curl -sN "http://127.0.0.1:$PORT/api/message" \\
          -H 'Content-Type: application/json' -d '{"message": "hello"}' | grep --line-buffered '^data:'
        """,
        "html": """
        <!doctype html>
        <form id="composer" class="composer">
          <textarea name="message" placeholder="Message Runnel…"></textarea>
          <button type="submit" disabled>Send</button>
        </form>
        <!-- replies are rendered by app.js, never as HTML -->
        """,
        "css": """
        /* A code block that scrolls sideways instead of widening the page. */
        .code-block pre {
          overflow-x: auto;
          padding: 0.8rem 1rem;
          background: var(--code-bg, #f5f6f8);
        }
        @media (max-width: 560px) { .code-block { border-radius: 0; } }
        """,
        "diff": """
        diff --git a/Frontend/app.js b/Frontend/app.js
        --- a/Frontend/app.js
        +++ b/Frontend/app.js
        @@ -1,3 +1,3 @@
         function onChunk(text) {
        -  el.textContent += text;
        +  paintSoon(el, msg);
         }
        """,
    ]
}
