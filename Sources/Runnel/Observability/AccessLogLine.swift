import Foundation
import HTTPServer

/// How `runnel` writes its access log (`--log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// `GET /path 200 512B 1.2ms`, then the exchange's fields as `name=value`; coloured on a terminal.
    case text
    /// One JSON object per line (README "Deploying").
    case json
}

/// The access log's lines (README "Deploying"). Whatever a client sent reaches them
/// escaped, so no control character or escape sequence gets to the terminal, and a login
/// URL's token is replaced by `REDACTED`.
public enum AccessLogLine {
    /// What stands in the log for an access token.
    static let redacted = "REDACTED"

    /// `GET /path 200 512B 1.2ms request_id=… client=… backend=mock outcome=completed`;
    /// `paint(text, sgr)` colours a part (the identity on a file).
    public static func text(_ entry: AccessLogEntry, paint: (String, String) -> String = { text, _ in text }) -> String {
        let statusColour = entry.status >= 500 ? "31" : entry.status >= 400 ? "33" : "32"
        var line = "\(paint(escaped(entry.method), "1")) \(target(entry)) \(paint(String(entry.status), statusColour)) "
            + "\(entry.bytes)B \(String(format: "%.1f", milliseconds(entry.duration)))ms"
        for field in entry.fields { line += " \(escaped(field.name))=\(escaped(field.value))" }
        return line
    }

    /// `{"time":"2025-01-02T03:04:05.678Z","request_id":…,"method":…,"path":…,"status":200,
    /// "bytes":512,"duration_ms":1.2,"client":…,"backend":…,"outcome":…}`: `backend` and
    /// `outcome` are null for exchanges that are no reply.
    public static func json(_ entry: AccessLogEntry, at time: Date = Date()) -> String {
        var fields: [(String, JSON)] = [
            ("time", .string(timestamp(time))),
            ("request_id", entry[field: "request_id"].map { .string(escaped($0)) } ?? .null),
            ("method", .string(escaped(entry.method))),
            ("path", .string(target(entry))),
            ("status", .int(entry.status)),
            ("bytes", .int(entry.bytes)),
            ("duration_ms", .raw(String(format: "%.3f", milliseconds(entry.duration)))),
            ("client", .string(escaped(entry[field: "client"] ?? entry.peer ?? "-"))),
        ]
        for name in ["backend", "outcome"] {
            fields.append((name, entry[field: name].map { .string(escaped($0)) } ?? .null))
        }
        return JSON.object(fields).text
    }

    /// `text` with every control character (C0, DEL, C1: what starts an escape sequence)
    /// and every backslash written as a visible escape (`\x1b`, `\\`).
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                out += scalar == "\\" ? "\\\\" : "\\x" + String(format: "%02x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\\"
    }

    private static func target(_ entry: AccessLogEntry) -> String {
        escaped(AccessGate.rewritingToken(in: entry.target, as: redacted))
    }

    private static func milliseconds(_ duration: Duration) -> Double { duration.seconds * 1000 }

    private static func timestamp(_ time: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: time)
    }
}
