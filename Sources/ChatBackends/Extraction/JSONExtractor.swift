import Foundation

/// Finds the first JSON value in a model's reply, for the `json_data` event (README "The wire format").
///
/// Tried in order: a ```` ```json ```` fenced block (any JSON value), then any other
/// fenced block whose whole content is a JSON object or array, then the first balanced
/// `{…}` or `[…]` anywhere in the text that parses.
///
/// ```swift
/// JSONExtractor.firstJSON(in: "Result: {\"a\": [1, 2]} done")  // "{\"a\":[1,2]}"
/// ```
public enum JSONExtractor {
    /// The first JSON value of `text`, compacted (whitespace outside strings removed;
    /// key order and number spelling kept as written), or `nil` when there is none.
    public static func firstJSON(in text: String) -> String? {
        // Most replies hold no JSON at all: one pass over the bytes says so cheaply.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "`") }) else {
            return nil
        }
        let blocks = FencedBlock.all(in: text)
        for block in blocks where block.language == "json" {
            if let json = validated(block.content, allowScalars: true) { return json }
        }
        for block in blocks where block.language != "json" {
            if let json = validated(block.content, allowScalars: false) { return json }
        }
        return BalancedJSONScanner.firstValue(in: Array(text.utf8)).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// The compact form of `candidate` when it is valid JSON of an accepted kind.
    private static func validated(_ candidate: String, allowScalars: Bool) -> String? {
        let bytes = Array(candidate.utf8)
        guard let first = bytes.first(where: { !JSONBytes.isWhitespace($0) }) else { return nil }
        if !allowScalars && first != UInt8(ascii: "{") && first != UInt8(ascii: "[") { return nil }
        guard JSONBytes.parses(bytes) else { return nil }
        return String(decoding: JSONBytes.compacted(bytes), as: UTF8.self)
    }
}
