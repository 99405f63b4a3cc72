import Foundation

/// The text helpers the mock's replies are made with: a message quoted on one line, a
/// JSON string literal, a hash that is the same in every process, and prose of an exact
/// number of words (`/long N`, the long-answer topic).
enum MockText {
    /// Exactly `count` words of prose, in sentences and paragraphs.
    static func prose(words count: Int) -> String {
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

    /// The message on one line, shortened, for quoting inside the reply.
    static func quoted(_ text: String, limit: Int = 80) -> String {
        let oneLine = text.split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        if oneLine.isEmpty { return "(an empty message)" }
        return oneLine.count > limit ? oneLine.prefix(limit) + "…" : oneLine
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out: [UInt8] = []
        JSONBytes.appendString(text, to: &out)
        return String(decoding: out, as: UTF8.self)
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
