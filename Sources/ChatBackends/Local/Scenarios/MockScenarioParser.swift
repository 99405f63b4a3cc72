import Foundation

/// Reads a scenario file (README "Mock scenarios"): a header of `key: value` lines, then
/// the sections `--- reasoning`, `--- reply` (which may repeat: alternatives) and `--- json`,
/// each running to the next.
///
/// A line-based format rather than JSON: a reply is markdown over many lines, which JSON
/// would force into one escaped string, and each header line stands alone, so every
/// mistake has a line number to report.
///
/// ```text
/// trigger: prefix /table
/// ttft_ms: 300
/// fault: error after 12
/// --- reply
/// | a | b |
/// ```
public enum MockScenarioParser {
    /// The longest pause a scenario may ask for (`ttft_ms`, a stall): ten minutes.
    public static let maxPauseMs = 600_000
    /// The fastest pace a scenario may ask for; 0 (no pause) is allowed too.
    public static let maxTokensPerSecond = 1_000_000.0
    /// The keys of the header.
    static let keys = ["trigger", "part", "ttft_ms", "tokens_per_second", "burst", "stall", "fault"]
    /// The sections of the body.
    static let sections = ["reasoning", "reply", "json"]

    /// Parses `text`; `source` names the file in errors (`mocks/table.txt`).
    public static func parse(_ text: String, name: String, source: String) throws(MockScenarioError) -> MockScenario {
        func failure(_ line: Int?, _ message: String) -> MockScenarioError { MockScenarioError(file: source, line: line, message) }
        var triggers: [MockScenario.Trigger] = []
        var timing = MockScenario.Timing()
        var faults: [(fault: MockScenario.Fault, line: Int)] = []
        var part: String?
        var bodies: [String: (line: Int, lines: [Substring])] = [:]
        /// The `--- reply` sections after the first: alternatives.
        var moreReplies: [[Substring]] = []
        var section: String?

        func append(_ line: Substring) {
            if section == "reply", !moreReplies.isEmpty { moreReplies[moreReplies.count - 1].append(line) } else { bodies[section!]!.lines.append(line) }
        }

        // "\r\n" is one Character in Swift, so it is a separator of its own.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (offset, line) in lines.enumerated() {
            let number = offset + 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let name = sectionName(trimmed) {
                guard sections.contains(name) else {
                    if section != nil { append(line); continue }  // text that looks like a marker
                    throw failure(number, "unknown section '--- \(name)'; the sections are \(sections.map { "'--- \($0)'" }.joined(separator: ", "))")
                }
                if name == "reply", bodies[name] != nil {
                    moreReplies.append([])
                } else if let earlier = bodies[name] {
                    throw failure(number, "a second '--- \(name)' section (the first is on line \(earlier.line))")
                } else {
                    bodies[name] = (number, [])
                }
                section = name
                continue
            }
            if section != nil {
                append(line)
                continue
            }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = trimmed.firstIndex(of: ":") else {
                throw failure(number, "expected 'key: value' (keys: \(keys.joined(separator: ", "))) or a section such as '--- reply'")
            }
            let key = trimmed[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            do {
                switch key {
                case "trigger": triggers.append(try trigger(value))
                case "part":
                    guard !value.isEmpty else { throw Problem("part needs a title, e.g. 'part: a table'") }
                    part = value
                case "ttft_ms": timing.firstTokenMs = try integer(value, in: 0...maxPauseMs, what: "ttft_ms")
                case "tokens_per_second":
                    guard let rate = Double(value), rate >= 0, rate <= maxTokensPerSecond else {
                        throw Problem("tokens_per_second must be a number from 0 (no pause) to \(Int(maxTokensPerSecond)), not '\(value)'")
                    }
                    timing.tokensPerSecond = rate
                case "burst": timing.bursts.append(try span(value, unit: "tokens", key: "burst", max: Int.max))
                case "stall": timing.stalls.append(try span(value, unit: "ms", key: "stall", max: maxPauseMs))
                case "fault":
                    let fault = try self.fault(value)
                    try check(fault, against: faults.map(\.fault))
                    faults.append((fault, number))
                default:
                    throw Problem("unknown key '\(key)'; the keys are \(keys.joined(separator: ", "))")
                }
            } catch let problem as Problem {
                throw failure(number, problem.message)
            } catch {
                throw failure(number, "\(error)")
            }
        }

        guard !triggers.isEmpty else {
            throw failure(1, "no 'trigger:' line; add one such as 'trigger: exact hello', 'trigger: prefix /table' or 'trigger: regex ^why'")
        }
        let isRefusal = faults.contains { if case .status = $0.fault { true } else { false } }
        guard bodies["reply"] != nil || bodies["json"] != nil || isRefusal else {
            throw failure(lines.count, "no '--- reply' section: the reply's text goes after a line '--- reply'")
        }
        var replies = [bodies["reply"].map { sectionText($0.lines) } ?? ""] + moreReplies.map(sectionText)
        if let json = bodies["json"] {
            let data = sectionText(json.lines)
            if (try? JSONSerialization.jsonObject(with: Data(data.utf8), options: [.fragmentsAllowed])) == nil {
                throw failure(json.line, "the '--- json' section is not valid JSON")
            }
            replies = replies.map { reply in reply + (reply.isEmpty ? "" : "\n\n") + "```json\n" + data + "\n```" }
        }
        return MockScenario(name: name, source: source, triggers: triggers,
                            reasoning: bodies["reasoning"].map { sectionText($0.lines) } ?? "",
                            replies: replies, part: part, timing: timing, faults: faults.map(\.fault))
    }

    /// A problem with one header line (its number is added by `parse`).
    private struct Problem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// `reply` for a line `--- reply`; nil for any other line (`---` alone is markdown's rule).
    private static func sectionName(_ trimmed: String) -> String? {
        guard trimmed.hasPrefix("--- ") else { return nil }
        let name = trimmed.dropFirst(4).trimmingCharacters(in: .whitespaces)
        return name.isEmpty || name.contains(" ") ? nil : name.lowercased()
    }

    /// A section's lines, without the blank lines around them.
    private static func sectionText(_ lines: [Substring]) -> String {
        var lines = lines[...]
        while lines.first?.allSatisfy(\.isWhitespace) == true { lines = lines.dropFirst() }
        while lines.last?.allSatisfy(\.isWhitespace) == true { lines = lines.dropLast() }
        return lines.joined(separator: "\n")
    }

    private static func trigger(_ value: String) throws -> MockScenario.Trigger {
        let kind = value.prefix(while: { !$0.isWhitespace })
        let argument = value.dropFirst(kind.count).trimmingCharacters(in: .whitespaces)
        let usage = "a trigger is 'exact TEXT', 'prefix TEXT' or 'regex PATTERN'"
        guard !argument.isEmpty else { throw Problem(kind.isEmpty ? usage : "\(usage); '\(kind)' needs its text") }
        switch kind {
        case "exact": return .exact(argument)
        case "prefix": return .prefix(argument)
        case "regex":
            do {
                return .regex(try MockPattern(argument))
            } catch {
                throw Problem("the regex '\(argument)' does not compile")
            }
        default: throw Problem("\(usage), not '\(kind)'")
        }
    }

    private static func integer(_ text: some StringProtocol, in range: ClosedRange<Int>, what: String) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw Problem("\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }

    /// `at N for M <unit>`.
    private static func span(_ value: String, unit: String, key: String, max: Int) throws -> MockScenario.Span {
        let words = value.split(whereSeparator: \.isWhitespace)
        guard words.count == 5, words[0] == "at", words[2] == "for", words[4] == unit else {
            throw Problem("\(key) is written 'at PIECE for N \(unit)', e.g. '\(key): at 100 for \(unit == "ms" ? "3000" : "50") \(unit)'")
        }
        return MockScenario.Span(at: try integer(words[1], in: 0...Int(Int32.max), what: "\(key)'s piece"),
                                 length: try integer(words[3], in: 0...max, what: "\(key)'s \(unit)"))
    }

    /// `status CODE`, `error [after N] [CODE]`, `hang [after N]`, `drop [after N]`, `malformed [after N]`.
    private static func fault(_ value: String) throws -> MockScenario.Fault {
        var words = value.split(whereSeparator: \.isWhitespace)[...]
        let usage = "a fault is 'status CODE', 'error [after N] [CODE]', 'hang [after N]', 'drop [after N]' or 'malformed [after N]'"
        guard let kind = words.popFirst() else { throw Problem(usage) }
        if kind == "status" {
            guard let code = words.popFirst(), words.isEmpty else { throw Problem("status is written 'status CODE', e.g. 'fault: status 429'") }
            return .status(try integer(code, in: 400...599, what: "the status"))
        }
        var after = 0
        if words.first == "after" {
            words = words.dropFirst()
            guard let count = words.popFirst() else { throw Problem("'after' needs a count of pieces, e.g. '\(kind) after 12'") }
            after = try integer(count, in: 0...Int(Int32.max), what: "'after'")
        }
        switch kind {
        case "error":
            var code = ChatBackendError.Code.upstreamUnavailable
            if let name = words.popFirst() {
                guard let given = ChatBackendError.Code(rawValue: String(name)) else {
                    throw Problem("unknown error code '\(name)'; use upstream_unavailable, upstream_rate_limited, upstream_timeout, upstream_auth, upstream_protocol or internal")
                }
                code = given
            }
            guard words.isEmpty else { throw Problem(usage) }
            return .error(after: after, code: code)
        case "hang", "drop", "malformed":
            guard words.isEmpty else { throw Problem(usage) }
            return kind == "hang" ? .hang(after: after) : kind == "drop" ? .drop(after: after) : .malformed(after: after)
        default:
            throw Problem("\(usage), not '\(kind)'")
        }
    }

    /// A refusal stands alone; a reply ends one way at most (error, hang or drop).
    private static func check(_ fault: MockScenario.Fault, against earlier: [MockScenario.Fault]) throws {
        func ends(_ fault: MockScenario.Fault) -> Bool {
            switch fault {
            case .error, .hang, .drop: true
            case .status, .malformed: false
            }
        }
        if case .status = fault, !earlier.isEmpty { throw Problem("'status' refuses the request, so it cannot be combined with other faults") }
        if earlier.contains(where: { if case .status = $0 { true } else { false } }) {
            throw Problem("'status' refuses the request, so it cannot be combined with other faults")
        }
        if ends(fault), earlier.contains(where: ends) { throw Problem("only one of error, hang and drop: the reply ends at the first") }
    }
}
