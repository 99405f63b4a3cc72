/// Built-in scenarios (README "Mock scenarios"): UI stress cases and the faults of a
/// provider's wire, each answering a slash command; `/help` lists them with `summaries`.
enum StressScenarios {
    /// Pieces of the `/20k` reply.
    static let longReplyPieces = 20_000
    /// Pieces of the `/long-think` reasoning.
    static let longReasoningPieces = 1_500

    /// Name and file text of each, in the order `/help` lists them.
    static let files: [(name: String, text: String)] = [
        ("fence", """
        trigger: regex ^/fence(\\s|$)
        --- reply
        Here is a code block whose closing fence never comes, as when a model is cut off:

        ```python
        def stream(chunks):
            for chunk in chunks:
                yield chunk.upper()

        print(list(stream(["a", "b"])))
        """),
        ("wide-table", """
        trigger: regex ^/wide-table(\\s|$)
        --- reply
        A table wider than any screen:

        \(wideTable(columns: 24, rows: 8))

        The page must scroll the table, not the whole conversation.
        """),
        ("long-think", """
        trigger: regex ^/long-think(\\s|$)
        tokens_per_second: 150
        --- reasoning
        \(prose(pieces: longReasoningPieces, seed: 7))
        --- reply
        After a long think: the answer is **42**.
        """),
        ("20k", """
        trigger: regex ^/20k(\\s|$)
        tokens_per_second: 2000
        --- reply
        \(prose(pieces: longReplyPieces, seed: 20))
        """),
        ("unicode", """
        trigger: regex ^/unicode(\\s|$)
        --- reply
        ## Emoji, CJK and right-to-left text

        - Emoji: 👋 🎉 🚀 ✅ — a family 👨‍👩‍👧‍👦, skin tones 👍🏽 👍🏿, flags 🇯🇵 🇧🇷 🇺🇦, keycap 1️⃣
        - Chinese: 流式传输让用户更快看到回复的第一个字。
        - Japanese: ストリーミングで最初のトークンがすぐに届きます。
        - Korean: 스트리밍은 첫 번째 토큰을 빠르게 보여 줍니다.
        - Arabic: البث المباشر يعرض الرد كلمة بكلمة.
        - Hebrew: הזרמה מציגה את התשובה מילה אחר מילה.
        - Mixed: the word «שלום» means peace; «مرحبا» means hello; 你好 means hello too.
        - Combining marks: é (e + ◌́), Zalgo-lite: Z̷a̸l̵g̶o̴

        | language | greeting |
        |---|---|
        | 日本語 | こんにちは |
        | العربية | مرحبا |
        | עברית | שלום |
        | 🙂 | 👋 |
        """),
        ("burst-stall", """
        trigger: regex ^/burst-stall(\\s|$)
        tokens_per_second: 40
        burst: at 0 for 300 tokens
        stall: at 300 for 5000 ms
        --- reply
        \(prose(pieces: 400, seed: 3))
        """),
        ("status-429", """
        trigger: regex ^/429(\\s|$)
        fault: status 429
        """),
        ("status-500", """
        trigger: regex ^/500(\\s|$)
        fault: status 500
        """),
        ("drop", """
        trigger: regex ^/drop(\\s|$)
        fault: drop after 20
        --- reply
        \(prose(pieces: 60, seed: 11))
        """),
        ("malformed", """
        trigger: regex ^/malformed(\\s|$)
        fault: malformed after 10
        --- reply
        \(prose(pieces: 40, seed: 5))
        """),
    ]

    /// What `/help` says of each, in `files` order.
    static let summaries: [(command: String, what: String)] = [
        ("/fence", "a code block that is never closed"),
        ("/wide-table", "a table of 24 columns"),
        ("/long-think", "a long reasoning phase (\(longReasoningPieces) pieces), then a short reply"),
        ("/20k", "a reply of \(longReplyPieces) tokens, at 2000 tokens/s"),
        ("/unicode", "emoji, CJK and right-to-left text"),
        ("/burst-stall", "300 tokens at once, a 5 s stall, then the rest"),
        ("/429", "refuse the request with HTTP 429 (no stream)"),
        ("/500", "refuse the request with HTTP 500 (no stream)"),
        ("/drop", "close the connection after 20 chunks, with no end event"),
        ("/malformed", "send a frame that is not valid JSON after 10 chunks, then go on"),
    ]

    /// A markdown table: a header, its rule and `rows` rows of `columns` cells.
    static func wideTable(columns: Int, rows: Int) -> String {
        let header = "| " + (1...columns).map { "column \($0)" }.joined(separator: " | ") + " |"
        let rule = "|" + String(repeating: "---|", count: columns)
        let body = (1...rows).map { row in
            "| " + (1...columns).map { column in "r\(row)c\(column) value" }.joined(separator: " | ") + " |"
        }
        return ([header, rule] + body).joined(separator: "\n")
    }

    /// Sentences of short words, in paragraphs, cut by `MockTokenizer` into exactly
    /// `pieces` pieces: every word has at most five letters (one piece with the space
    /// before it), and every full stop is a piece of its own.
    static func prose(pieces count: Int, seed: UInt64) -> String {
        let words = ["the", "model", "sends", "a", "token", "each", "tick", "and", "page", "draws", "it",
                     "fast", "then", "waits", "for", "more", "bytes", "from", "wire", "slow", "or", "not"]
        var text = ""
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var made = 0
        var inSentence = 0
        var sentences = 0
        while made < count {
            // A sentence ends with a full stop (its own piece) after 6 to 13 words, or at the last piece.
            if inSentence >= 6 && (inSentence >= 13 || made == count - 1 || state % 5 == 0) {
                text += "."
                made += 1
                inSentence = 0
                sentences += 1
                continue
            }
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var word = words[Int((state >> 33) % UInt64(words.count))]
            if inSentence == 0 { word = word.prefix(1).uppercased() + word.dropFirst() }
            if !text.isEmpty { text += inSentence == 0 && sentences % 5 == 0 ? "\n\n" : " " }
            text += word
            made += 1
            inSentence += 1
        }
        return text
    }
}
