/// What a message asks the mock for, read from its words: a table, code (in a language),
/// a list, JSON, math, a long answer. The mock answers with that shape, so a UI can be
/// tried on each kind of markdown by just asking for it ("a table of…", "python code for…").
enum MockTopic: Equatable, CaseIterable {
    case table, code, list, json, math, long

    /// The words that ask for each topic (whole words, any case).
    private static let triggers: [MockTopic: Set<String>] = [
        .table: ["table", "tables", "tabular", "compare", "comparison"],
        .code: ["code", "function", "snippet", "program", "script", "implement", "class", "example"],
        .list: ["list", "lists", "bullet", "bullets", "steps", "points", "checklist"],
        .json: ["json"],
        .math: ["math", "maths", "equation", "equations", "formula", "formulas", "latex"],
        .long: ["long", "longer", "essay", "detailed"],
    ]

    /// Languages by the words naming them, and the fence's info word for each.
    static let languages: [(words: Set<String>, fence: String)] = [
        (["swift"], "swift"), (["python", "py"], "python"), (["javascript", "js", "node"], "javascript"),
        (["typescript", "ts"], "typescript"), (["golang"], "go"), (["rust"], "rust"), (["sql", "sqlite", "postgres"], "sql"),
        (["bash", "shell", "sh", "zsh"], "bash"), (["html"], "html"), (["css"], "css"), (["diff", "patch"], "diff"),
    ]

    /// The topics `text` asks for, in a fixed order; JSON asked for as code is the JSON topic.
    static func detect(in text: String) -> (topics: [MockTopic], language: String?) {
        let words = text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        let wordSet = Set(words)
        var language = languages.first(where: { !$0.words.isDisjoint(with: wordSet) })?.fence
        // "go" is too common a word to mean the language unless it is "in go" or "go code".
        if language == nil, zip(words, words.dropFirst()).contains(where: { $0 == ("in", "go") || $0 == ("go", "code") }) {
            language = "go"
        }
        var topics = allCases.filter { !triggers[$0, default: []].isDisjoint(with: wordSet) }
        if words.contains("how"), zip(words, words.dropFirst()).contains(where: { $0 == ("how", "long") }) {
            topics.removeAll { $0 == .long }  // "how long does it take?" asks for no essay
        }
        if language != nil, !topics.contains(.code) { topics.append(.code) }
        if topics.contains(.json) { topics.removeAll { $0 == .code && language == nil } }
        return (topics.sorted { allCases.firstIndex(of: $0)! < allCases.firstIndex(of: $1)! }, language)
    }
}

extension MockReplies {
    /// The reply to a message that asks for topics: a heading, the context, then one section
    /// per topic.
    static func shaped(_ topics: [MockTopic], language: String?, topic: String, context: String, turn: Int) -> String {
        var sections = ["## \(title(of: topics))", "\(context) You asked: \u{201C}\(topic)\u{201D}"]
        for kind in topics {
            switch kind {
            case .table: sections.append(table)
            case .code: sections.append(code(in: language ?? "swift"))
            case .list: sections.append(list)
            case .json: sections.append(json(about: topic, turn: turn))
            case .math: sections.append(math)
            case .long: sections.append(long(words: 600))
            }
        }
        return sections.joined(separator: "\n\n")
    }

    private static func title(of topics: [MockTopic]) -> String {
        let names: [MockTopic: String] = [.table: "a table", .code: "some code", .list: "a list", .json: "JSON",
                                          .math: "some math", .long: "a long answer"]
        let parts = topics.compactMap { names[$0] }
        let joined = parts.count > 1 ? parts.dropLast().joined(separator: ", ") + " and " + parts.last! : parts.joined()
        return "Here is " + joined
    }

    static let table = """
    | Backend | Model | First token | Speed | Notes |
    |:--------|:------|------------:|------:|:------|
    | `mock` | mock-1 | 300 ms | 40 tok/s | **deterministic**, paced like a model |
    | `echo` | echo | 0 ms | instant | the message back, word by word |
    | `openai` | gpt-4o-mini | ~400 ms | ~80 tok/s | any OpenAI-compatible server |
    | `anthropic` | claude | ~600 ms | ~60 tok/s | Messages API, `stream: true` |
    """

    static let list = """
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

    static let math = """
    Inline, Euler's identity: $e^{i\\pi} + 1 = 0$, and the mean of $n$ values is $\\bar{x} = \\frac{1}{n}\\sum_i x_i$.

    On a line of its own, the sum of the first $n$ integers:

    $$
    \\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}
    $$
    """

    /// A short program that reverses the words of a sentence, in `language` (a fence word).
    static func code(in language: String) -> String {
        let body = samples[language] ?? samples["swift"]!
        return "```\(samples[language] == nil ? "swift" : language)\n\(body)\n```"
    }

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
