/// A strict JSON reader (RFC 8259) over UTF-8 bytes that pulls out only the values its
/// caller asks for, for the providers' stream events.
///
/// The whole text is checked (grammar, string escapes, surrogate pairs, UTF-8, number
/// syntax, trailing bytes, nesting up to `maxDepth`), but a value becomes a Swift value
/// only when the caller reads it: members nobody asked for are skipped in place. An
/// event of a proxied stream so costs one pass over its bytes and the few strings it
/// carries, where `JSONDecoder` built a map, a decoder per nested type and every key.
///
/// ```swift
/// var content: String?
/// try JSONReader.read(#"{"delta":{"content":"Hi"},"index":0}"#) { json in
///     try json.readObject { key, json in
///         if key == "delta" {
///             try json.readObject { key, json in
///                 if key == "content" { content = try json.readString() }
///             }
///         }
///     }
/// }
/// ```
///
/// Each `read…` consumes one value; `null` reads as `nil` (`false` for containers), as
/// an absent member would; any other type than the one asked for is a `Failure`, the
/// only error the reader throws (the closures may throw their own). A member's value
/// the closure leaves unread is skipped (and checked) for it.
struct JSONReader {
    /// Objects and arrays nest at most this deep; deeper input is refused rather than
    /// followed (the reader recurses once per level).
    static let maxDepth = 64

    /// Why a text is not the JSON asked for; `offset` is the byte where reading stopped.
    struct Failure: Error, Equatable, CustomStringConvertible {
        var message: String
        var offset: Int
        var description: String { "\(message) at byte \(offset)" }
    }

    /// The type of the next value, seen without reading it.
    enum Kind: Equatable {
        case object, array, string, number, bool, null
    }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Reads `text`, which must be exactly one JSON value (whitespace around it allowed),
    /// with `body`; what `body` leaves unread of that value is skipped and checked.
    static func read<T>(_ text: String, _ body: (inout JSONReader) throws -> T) throws -> T {
        var text = text
        // Native strings are contiguous UTF-8 already: no copy.
        return try text.withUTF8 { utf8 in try read(UnsafeRawBufferPointer(utf8), body) }
    }

    /// Reads `bytes` as `read(_:_:)` reads a string.
    static func read<T>(_ bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws -> T) throws -> T {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        var value: T?
        try reader.readValue { value = try body(&$0) }
        reader.skipWhitespace()
        guard reader.index == bytes.count, let value else { throw reader.failure("unexpected bytes after the value") }
        return value
    }

    // MARK: - Reading values

    /// The type of the next value (after whitespace).
    mutating func peek() throws -> Kind {
        skipWhitespace()
        guard let byte = current else { throw failure("unexpected end, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw failure("unexpected byte, expected a value")
        }
    }

    /// Reads an object, calling `member` with each key (escapes decoded) and the reader
    /// positioned at its value. `false` when the value is `null`.
    @discardableResult
    mutating func readObject(_ member: (_ key: String, _ reader: inout JSONReader) throws -> Void) throws -> Bool {
        try readContainer(.object, close: UInt8(ascii: "}")) { json in
            guard json.current == UInt8(ascii: "\"") else { throw json.failure("expected a member name") }
            let key = try json.scanString().value(in: json.bytes)
            json.skipWhitespace()
            guard json.current == UInt8(ascii: ":") else { throw json.failure("expected ':' after a member name") }
            json.index += 1
            json.skipWhitespace()
            try json.readValue { try member(key, &$0) }
        }
    }

    /// Reads an object into a copy of `initial`, which `member` fills in from each
    /// key's value; `nil` when the value is `null`.
    mutating func readObject<T>(
        into initial: T, _ member: (_ key: String, _ reader: inout JSONReader, _ value: inout T) throws -> Void
    ) throws -> T? {
        var value = initial
        let present = try readObject { key, json in try member(key, &json, &value) }
        return present ? value : nil
    }

    /// Reads an array, calling `element` with the reader positioned at each element.
    /// `false` when the value is `null`.
    @discardableResult
    mutating func readArray(_ element: (_ reader: inout JSONReader) throws -> Void) throws -> Bool {
        try readContainer(.array, close: UInt8(ascii: "]")) { json in try json.readValue(element) }
    }

    /// Reads an array with `element` (every element, so each is checked as that shape) and
    /// keeps the first; `nil` when the array is empty or `null`.
    mutating func readFirstElement<T>(_ element: (inout JSONReader) throws -> T) throws -> T? {
        var first: T?
        try readArray { json in
            let value = try element(&json)
            if first == nil { first = value }
        }
        return first
    }

    /// An object or array (`kind`, ending with `close`) whose entries `entry` reads one at
    /// a time, the reader at each; `false` for `null`.
    private mutating func readContainer(_ kind: Kind, close: UInt8, _ entry: (inout JSONReader) throws -> Void) throws -> Bool {
        switch try peek() {
        case .null: try expectLiteral("null"); return false
        case kind: break
        default: throw failure(kind == .object ? "expected an object" : "expected an array")
        }
        try enter()
        index += 1  // { or [
        skipWhitespace()
        if current == close {
            index += 1
            depth -= 1
            return true
        }
        while true {
            skipWhitespace()
            try entry(&self)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case close:
                index += 1
                depth -= 1
                return true
            default: throw failure(kind == .object ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array")
            }
        }
    }

    /// Lets `read` read the value at the reader, and skips it (checked) if `read` did not.
    private mutating func readValue(_ read: (inout JSONReader) throws -> Void) throws {
        let start = index
        try read(&self)
        if index == start { try skipValue() }
    }

    /// Reads a string (escapes decoded), or `nil` for `null`.
    mutating func readString() throws -> String? {
        switch try peek() {
        case .null: try expectLiteral("null"); return nil
        case .string: return try scanString().value(in: bytes)
        default: throw failure("expected a string")
        }
    }

    /// Reads a number that is a whole `Int` (`3`, `-2`, `1e3`, `2.0`), or `nil` for `null`.
    mutating func readInt() throws -> Int? {
        switch try peek() {
        case .null: try expectLiteral("null"); return nil
        case .number: break
        default: throw failure("expected a number")
        }
        let start = index
        let isInteger = try scanNumber()
        let digits = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if isInteger, let value = Self.integer(digits) { return value }
        // A fraction or exponent that still names a whole number, as JSONDecoder accepts.
        guard let double = Double(String(decoding: digits, as: UTF8.self)), let value = Int(exactly: double) else {
            index = start
            throw failure("number does not fit an Int")
        }
        return value
    }

    /// Reads `true` or `false`, or `nil` for `null`.
    mutating func readBool() throws -> Bool? {
        switch try peek() {
        case .null: try expectLiteral("null"); return nil
        case .bool:
            if current == UInt8(ascii: "t") { try expectLiteral("true"); return true }
            try expectLiteral("false")
            return false
        default: throw failure("expected true or false")
        }
    }

    /// Checks the next value and moves past it.
    mutating func skipValue() throws {
        switch try peek() {
        case .object: try readObject { _, _ in }
        case .array: try readArray { _ in }
        case .string: _ = try scanString()
        case .number: _ = try scanNumber()
        case .bool: _ = try readBool()
        case .null: try expectLiteral("null")
        }
    }

    // MARK: - Scanning

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func failure(_ message: String) -> Failure { Failure(message: message, offset: index) }

    private mutating func enter() throws {
        guard depth < Self.maxDepth else { throw failure("nested deeper than \(Self.maxDepth) levels") }
        depth += 1
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, JSONBytes.isWhitespace(bytes[index]) { index += 1 }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count,
              UnsafeRawBufferPointer(rebasing: bytes[index..<index + count]).elementsEqual(
                UnsafeBufferPointer(start: literal.utf8Start, count: count))
        else { throw failure("invalid literal, expected \(literal)") }
        index += count
    }

    /// A string's raw bytes (between the quotes) after checking them.
    private struct RawString {
        var range: Range<Int>
        var hasEscapes: Bool

        /// The string's value: its bytes as they are when nothing is escaped, else
        /// decoded straight into the string's storage (never longer than the raw bytes).
        func value(in bytes: UnsafeRawBufferPointer) -> String {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
            guard hasEscapes else { return String(decoding: raw, as: UTF8.self) }
            return String(unsafeUninitializedCapacity: raw.count) { out in
                var written = 0
                var i = 0
                while i < raw.count {
                    let byte = raw[i]
                    guard byte == UInt8(ascii: "\\") else {
                        out[written] = byte
                        written += 1
                        i += 1
                        continue
                    }
                    let escape = raw[i + 1]
                    i += 2
                    if escape != UInt8(ascii: "u") {
                        out[written] = JSONReader.unescaped(escape) ?? escape
                        written += 1
                        continue
                    }
                    var scalar = JSONReader.hex4(raw, at: i) ?? 0
                    i += 4
                    if (0xD800..<0xDC00).contains(scalar) {  // checked: a low surrogate escape follows
                        let low = JSONReader.hex4(raw, at: i + 2) ?? 0
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                    for unit in UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}")! {
                        out[written] = unit
                        written += 1
                    }
                }
                return written
            }
        }
    }

    /// Checks the string at `index` (a quote) and moves past it.
    private mutating func scanString() throws -> RawString {
        index += 1  // "
        let start = index
        var hasEscapes = false
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                defer { index += 1 }
                return RawString(range: start..<index, hasEscapes: hasEscapes)
            case UInt8(ascii: "\\"):
                hasEscapes = true
                try scanEscape()
            case ..<0x20:
                throw failure("unescaped control character in a string")
            case ..<0x80:
                index += 1
            default:
                guard let length = Self.utf8SequenceLength(bytes, at: index) else { throw failure("invalid UTF-8 in a string") }
                index += length
            }
        }
    }

    /// Checks the escape at `index` (a backslash) and moves past it; a high surrogate
    /// must be followed by an escaped low one, and a low one must not stand alone.
    private mutating func scanEscape() throws {
        guard index + 1 < bytes.count else { throw failure("unterminated escape") }
        let escape = bytes[index + 1]
        if escape != UInt8(ascii: "u") {
            guard Self.unescaped(escape) != nil else { throw failure("invalid escape") }
            index += 2
            return
        }
        guard let unit = Self.hex4(bytes, at: index + 2) else { throw failure("invalid \\u escape") }
        switch unit {
        case 0xD800..<0xDC00:
            guard index + 12 <= bytes.count, bytes[index + 6] == UInt8(ascii: "\\"), bytes[index + 7] == UInt8(ascii: "u"),
                  let low = Self.hex4(bytes, at: index + 8), (0xDC00..<0xE000).contains(low)
            else { throw failure("unpaired high surrogate") }
            index += 12
        case 0xDC00..<0xE000:
            throw failure("unpaired low surrogate")
        default:
            index += 6
        }
    }

    /// Checks the number at `index` (RFC 8259 §6) and moves past it; whether it is
    /// written as an integer (no fraction, no exponent).
    private mutating func scanNumber() throws -> Bool {
        if current == UInt8(ascii: "-") { index += 1 }
        switch current ?? 0 {
        case UInt8(ascii: "0"): index += 1
        case UInt8(ascii: "1")...UInt8(ascii: "9"): skipDigits()
        default: throw failure("invalid number")
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            index += 1
            guard try skipRequiredDigits() else { throw failure("invalid number: no digit after '.'") }
            isInteger = false
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard try skipRequiredDigits() else { throw failure("invalid number: no digit in the exponent") }
            isInteger = false
        }
        return isInteger
    }

    private mutating func skipDigits() {
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
    }

    private mutating func skipRequiredDigits() throws -> Bool {
        let start = index
        skipDigits()
        return index > start
    }
}
