import HTTPServer
import Synchronization

/// `GET /metrics` (README "Deploying"): the server's counters in the Prometheus text
/// exposition format 0.0.4, written by hand. Replies are recorded once, as they end (from
/// ``Reply``'s `onEnd` for `/api/message`, from ``ProviderMeter`` for the provider
/// endpoints); connections and bytes are read from the server when scraped.
final class Metrics: Sendable {
    /// Upper bounds, in seconds, of the time-to-first-chunk histogram.
    static let firstChunkBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    /// Upper bounds, in seconds, of the reply-duration histogram.
    static let durationBuckets: [Double] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A reply that has ended, whichever API it was asked through.
    struct EndedReply: Sendable {
        let backend: String
        /// The API's format: `runnel` (`/api/message`), `openai`, `anthropic`, `gemini`.
        let format: String
        /// Its final state (never `streaming`).
        let outcome: Reply.State
        let firstChunk: Duration?
        let duration: Duration?
        let outputTokens: Int?
        /// The code of the failure that ended it (`upstream_timeout`, `reply_too_large`…).
        let failureCode: String?
    }

    /// The labels every reply series carries.
    private struct Series: Hashable, Comparable {
        let backend: String
        let format: String

        var labels: [(String, String)] { [("backend", backend), ("format", format)] }

        static func < (a: Series, b: Series) -> Bool { (a.backend, a.format) < (b.backend, b.format) }
    }

    private struct Counts {
        var inFlight = 0
        /// By series, then outcome (a reply's final state).
        var replies: [Series: [String: Int]] = [:]
        var firstChunk: [Series: Histogram] = [:]
        var duration: [Series: Histogram] = [:]
        var outputTokens: [Series: Int] = [:]
        /// By series, then error code.
        var upstreamErrors: [Series: [String: Int]] = [:]
    }

    private let counts = Mutex(Counts())
    private let server = Mutex<HTTPServer?>(nil)

    /// The server whose connections and bytes are reported.
    func attach(_ server: HTTPServer) { self.server.withLock { $0 = server } }

    func replyStarted() { counts.withLock { $0.inFlight += 1 } }

    /// Records a reply of `/api/message` that has just ended.
    func replyEnded(_ reply: Reply) {
        let summary = reply.summary
        replyEnded(EndedReply(backend: reply.backendName, format: "runnel", outcome: summary.state, firstChunk: summary.firstChunk,
                              duration: summary.duration, outputTokens: summary.outputTokens, failureCode: summary.failureCode))
    }

    /// Records a reply that has just ended (each reply once, after ``replyStarted()``).
    func replyEnded(_ reply: EndedReply) {
        let series = Series(backend: reply.backend, format: reply.format)
        counts.withLock { counts in
            counts.inFlight -= 1
            counts.replies[series, default: [:]][reply.outcome.rawValue, default: 0] += 1
            if let firstChunk = reply.firstChunk {
                counts.firstChunk[series, default: Histogram(bounds: Self.firstChunkBuckets)].observe(firstChunk.seconds)
            }
            if let duration = reply.duration {
                counts.duration[series, default: Histogram(bounds: Self.durationBuckets)].observe(duration.seconds)
            }
            if let tokens = reply.outputTokens { counts.outputTokens[series, default: 0] += tokens }
            if let code = reply.failureCode, code.hasPrefix("upstream_") {
                counts.upstreamErrors[series, default: [:]][code, default: 0] += 1
            }
        }
    }

    /// The exposition text.
    func render() -> String {
        let counts = self.counts.withLock { $0 }
        let server = self.server.withLock { $0 }
        var text = PrometheusText()
        text.family("runnel_open_connections", "gauge", "Open client connections.")
        text.sample("runnel_open_connections", value: Double(server?.connectionCount ?? 0))
        text.family("runnel_replies_in_flight", "gauge", "Replies streaming now.")
        text.sample("runnel_replies_in_flight", value: Double(counts.inFlight))
        text.family("runnel_replies_total", "counter",
                    "Replies ended, by backend, API format (runnel, openai, anthropic, gemini) and outcome (completed, stopped, failed, interrupted).")
        for (series, outcomes) in counts.replies.sorted(by: { $0.key < $1.key }) {
            for (outcome, count) in outcomes.sorted(by: { $0.key < $1.key }) {
                text.sample("runnel_replies_total", ["backend": series.backend, "format": series.format, "outcome": outcome], value: Double(count))
            }
        }
        text.histogram("runnel_reply_first_chunk_seconds", "Time from a reply's start to its first chunk.", counts.firstChunk.map { ($0.key.labels, $0.value) })
        text.histogram("runnel_reply_duration_seconds", "Time from a reply's start to its end.", counts.duration.map { ($0.key.labels, $0.value) })
        text.family("runnel_output_tokens_total", "counter", "Output tokens the backends reported, by backend and API format.")
        for (series, tokens) in counts.outputTokens.sorted(by: { $0.key < $1.key }) {
            text.sample("runnel_output_tokens_total", ["backend": series.backend, "format": series.format], value: Double(tokens))
        }
        text.family("runnel_upstream_errors_total", "counter", "Replies that failed upstream, by backend, API format and error code.")
        for (series, codes) in counts.upstreamErrors.sorted(by: { $0.key < $1.key }) {
            for (code, count) in codes.sorted(by: { $0.key < $1.key }) {
                text.sample("runnel_upstream_errors_total", ["backend": series.backend, "format": series.format, "code": code], value: Double(count))
            }
        }
        text.family("runnel_sent_bytes_total", "counter", "Bytes written to clients (response heads and bodies).")
        text.sample("runnel_sent_bytes_total", value: Double(server?.bytesSent ?? 0))
        return text.output
    }
}

/// A writer of the Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` lines,
/// then samples with escaped label values.
struct PrometheusText {
    private(set) var output = ""

    mutating func family(_ name: String, _ type: String, _ help: String) {
        output += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String> = [:], value: Double) {
        sample(name, labels.map { ($0.key, $0.value) }, value: value)
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], value: Double) {
        output += name
        if !labels.isEmpty {
            output += "{" + labels.map { "\($0.0)=\"\(Self.escaped($0.1))\"" }.joined(separator: ",") + "}"
        }
        output += " " + Self.number(value) + "\n"
    }

    /// One histogram family, a series per label set (written in the order given, sorted).
    mutating func histogram(_ name: String, _ help: String, _ series: [([(String, String)], Histogram)]) {
        family(name, "histogram", help)
        for (labels, histogram) in series.sorted(by: { $0.0.lexicographicallyPrecedes($1.0) { $0.1 < $1.1 } }) {
            for (bound, count) in zip(histogram.bounds, histogram.counts) {
                sample(name + "_bucket", labels + [("le", Self.number(bound))], value: Double(count))
            }
            sample(name + "_bucket", labels + [("le", "+Inf")], value: Double(histogram.count))
            sample(name + "_sum", labels, value: histogram.sum)
            sample(name + "_count", labels, value: Double(histogram.count))
        }
    }

    /// Label values escape `\`, `"` and line feeds (the format's only escapes).
    static func escaped(_ value: String) -> String {
        value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }

    /// Whole numbers without a fraction (`3`, not `3.0`), others as Swift prints doubles.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
