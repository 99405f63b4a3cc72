import HTTPServer
import Sockets

/// `GET /metrics` (README "Deploying"): the server's counters in the Prometheus text
/// exposition format 0.0.4, written by hand. Replies are recorded once, as they end (from
/// ``Reply``'s `onEnd`); connections and bytes are read from the server when scraped.
final class Metrics: Sendable {
    /// Upper bounds, in seconds, of the time-to-first-chunk histogram.
    static let firstChunkBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    /// Upper bounds, in seconds, of the reply-duration histogram.
    static let durationBuckets: [Double] = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private struct Counts {
        var inFlight = 0
        /// By backend, then outcome (a reply's final state).
        var replies: [String: [String: Int]] = [:]
        var firstChunk: [String: Histogram] = [:]
        var duration: [String: Histogram] = [:]
        var outputTokens: [String: Int] = [:]
        /// By backend, then error code.
        var upstreamErrors: [String: [String: Int]] = [:]
    }

    /// Weak: the server holds the routes, and `/metrics` holds this object; a strong
    /// reference back would keep both, and all they hold, alive after the server stops.
    private struct ServerReference {
        weak var server: HTTPServer?
    }

    private let counts = Lock(Counts())
    private let server = Lock(ServerReference())

    /// The server whose connections and bytes are reported.
    func attach(_ server: HTTPServer) { self.server.withLock { $0.server = server } }

    func replyStarted() { counts.withLock { $0.inFlight += 1 } }

    /// Records a reply that has just ended.
    func replyEnded(_ reply: Reply) {
        let summary = reply.summary
        let backend = reply.backendName
        counts.withLock { counts in
            counts.inFlight -= 1
            counts.replies[backend, default: [:]][summary.state.rawValue, default: 0] += 1
            if let firstChunk = summary.firstChunk {
                counts.firstChunk[backend, default: Histogram(bounds: Self.firstChunkBuckets)].observe(firstChunk.seconds)
            }
            if let duration = summary.duration {
                counts.duration[backend, default: Histogram(bounds: Self.durationBuckets)].observe(duration.seconds)
            }
            if let tokens = summary.outputTokens { counts.outputTokens[backend, default: 0] += tokens }
            if let code = summary.failureCode, code.hasPrefix("upstream_") {
                counts.upstreamErrors[backend, default: [:]][code, default: 0] += 1
            }
        }
    }

    /// The exposition text.
    func render() -> String {
        let counts = self.counts.withLock { $0 }
        let server = self.server.withLock { $0.server }
        var text = PrometheusText()
        text.family("runnel_open_connections", "gauge", "Open client connections.")
        text.sample("runnel_open_connections", value: Double(server?.connectionCount ?? 0))
        text.family("runnel_replies_in_flight", "gauge", "Replies streaming now.")
        text.sample("runnel_replies_in_flight", value: Double(counts.inFlight))
        text.family("runnel_replies_total", "counter", "Replies ended, by backend and outcome (completed, stopped, failed, interrupted).")
        for (backend, outcomes) in counts.replies.sorted(by: { $0.key < $1.key }) {
            for (outcome, count) in outcomes.sorted(by: { $0.key < $1.key }) {
                text.sample("runnel_replies_total", ["backend": backend, "outcome": outcome], value: Double(count))
            }
        }
        text.histogram("runnel_reply_first_chunk_seconds", "Time from a reply's start to its first chunk.", counts.firstChunk)
        text.histogram("runnel_reply_duration_seconds", "Time from a reply's start to its end.", counts.duration)
        text.family("runnel_output_tokens_total", "counter", "Output tokens the backends reported, by backend.")
        for (backend, tokens) in counts.outputTokens.sorted(by: { $0.key < $1.key }) {
            text.sample("runnel_output_tokens_total", ["backend": backend], value: Double(tokens))
        }
        text.family("runnel_upstream_errors_total", "counter", "Replies that failed upstream, by backend and error code.")
        for (backend, codes) in counts.upstreamErrors.sorted(by: { $0.key < $1.key }) {
            for (code, count) in codes.sorted(by: { $0.key < $1.key }) {
                text.sample("runnel_upstream_errors_total", ["backend": backend, "code": code], value: Double(count))
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
        output += name
        if !labels.isEmpty {
            output += "{" + labels.map { "\($0.key)=\"\(Self.escaped($0.value))\"" }.joined(separator: ",") + "}"
        }
        output += " " + Self.number(value) + "\n"
    }

    /// One histogram family with a series per backend.
    mutating func histogram(_ name: String, _ help: String, _ series: [String: Histogram]) {
        family(name, "histogram", help)
        for (backend, histogram) in series.sorted(by: { $0.key < $1.key }) {
            for (bound, count) in zip(histogram.bounds, histogram.counts) {
                sample(name + "_bucket", ["backend": backend, "le": Self.number(bound)], value: Double(count))
            }
            sample(name + "_bucket", ["backend": backend, "le": "+Inf"], value: Double(histogram.count))
            sample(name + "_sum", ["backend": backend], value: histogram.sum)
            sample(name + "_count", ["backend": backend], value: Double(histogram.count))
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
