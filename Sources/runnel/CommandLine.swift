import Foundation
import Runnel

/// `runnel`'s options (README "Options"): each flag also as an environment variable
/// (`--port` ↔ `RUNNEL_PORT`); flags win over the environment.
struct CommandLineOptions {
    enum Outcome {
        case run(RunnelConfiguration)
        case help
        case version
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// One option: its flag, whether it takes a value, and how it applies.
    private struct Option: Sendable {
        let flag: String
        let value: String?
        let help: String
        let apply: @Sendable (inout RunnelConfiguration, String) throws -> Void
        var environmentName: String { "RUNNEL_" + flag.dropFirst(2).uppercased().replacingOccurrences(of: "-", with: "_") }
    }

    private static let options: [Option] = [
        Option(flag: "--host", value: "H", help: "address to bind (default 127.0.0.1)") { $0.host = $1 },
        Option(flag: "--port", value: "P", help: "port (default 8080; busy → next free; 0 = any)") { $0.port = try integer($1, "--port", 0...65535) },
        Option(flag: "--strict-port", value: nil, help: "fail if the port is busy") { c, _ in c.strictPort = true },
        Option(flag: "--root", value: "DIR", help: "folder with Frontend/ and Templates/ (default .)") { $0.root = $1 },
        Option(flag: "--backend", value: "NAME", help: "default backend: mock, echo, openai, gemini, anthropic, replay") { $0.backend = $1 },
        Option(flag: "--model", value: "M", help: "model of the default backend") { $0.model = $1 },
        Option(flag: "--base-url", value: "URL", help: "base URL of the default backend") { $0.baseURL = $1 },
        Option(flag: "--system", value: "TEXT", help: "system prompt") { $0.system = $1 },
        Option(flag: "--no-reload", value: nil, help: "turn hot reload off") { c, _ in c.hotReload = false },
        Option(flag: "--embedded", value: nil, help: "serve the UI compiled into the binary") { c, _ in c.forceEmbedded = true },
        Option(flag: "--cors", value: "ORIGIN", help: "let ORIGIN call the API (repeatable)") { $0.corsOrigins.append($1) },
        Option(flag: "--allowed-host", value: "H", help: "accept Host H besides loopback names (repeatable)") { $0.allowedHosts.append($1.lowercased()) },
        Option(flag: "--quiet", value: nil, help: "no access log") { c, _ in c.quiet = true },
        Option(flag: "--log-format", value: "F", help: "access log: text (default) or json, one object per line") {
            guard let format = LogFormat(rawValue: $1) else { throw Failure(description: "--log-format takes text or json, not '\($1)'") }
            $0.logFormat = format
        },
        Option(flag: "--access-token", value: "T", help: "token a public server asks for (default: made at start, printed)") { $0.accessToken = $1 },
        Option(flag: "--api-key", value: "KEY", help: "key the OpenAI/Anthropic/Gemini endpoints ask for, as each SDK sends it") { $0.apiKey = $1 },
        Option(flag: "--trusted-proxy", value: "CIDR", help: "believe X-Forwarded-For from these peers (repeatable)") {
            do { $0.trustedProxies.append(try CIDR(parsing: $1)) } catch { throw Failure(description: "--trusted-proxy: \(error)") }
        },
        Option(flag: "--instance", value: "NAME", help: "name put before reply ids, for a proxy routing to several instances") { $0.instance = $1 },
        Option(flag: "--max-replies-per-client", value: "N", help: "replies one client streams at once (default 4; 429 past it)") { $0.limits.maxRepliesPerClient = try integer($1, "--max-replies-per-client", 1...10_000); $0.limits.enforced = true },
        Option(flag: "--requests-per-minute", value: "N", help: "POST /api/* per client and minute (default 60; 429 past it)") { $0.limits.requestsPerMinute = try integer($1, "--requests-per-minute", 1...1_000_000); $0.limits.enforced = true },
        Option(flag: "--max-replies", value: "N", help: "replies streaming at once on the server (default 256; 503 past it)") { $0.limits.maxReplies = try integer($1, "--max-replies", 1...1_000_000); $0.limits.enforced = true },
        Option(flag: "--heartbeat-seconds", value: "S", help: "ping silent streams every S seconds (default 15)") { $0.heartbeat = .seconds(try integer($1, "--heartbeat-seconds", 1...3600)) },
        Option(flag: "--mock-ttft-ms", value: "MS", help: "mock: time to first token (default 300)") { $0.mockFirstTokenMs = try integer($1, "--mock-ttft-ms", 0...60_000) },
        Option(flag: "--mock-delay-ms", value: "MS", help: "mock: time between tokens (default 25)") { $0.mockTokenDelayMs = try integer($1, "--mock-delay-ms", 0...60_000) },
        Option(flag: "--mocks", value: "DIR", help: "mock: scenario files (*.txt) in DIR, tried before the built-in replies") { $0.mocksDirectory = $1 },
        Option(flag: "--echo-delay-ms", value: "MS", help: "echo: time between words (default 0)") { $0.echoDelayMs = try integer($1, "--echo-delay-ms", 0...60_000) },
        Option(flag: "--max-conversations", value: "N", help: "conversations kept (default 1000)") { $0.conversationLimits.maxConversations = try integer($1, "--max-conversations", 1...1_000_000) },
        Option(flag: "--max-turns", value: "N", help: "turns kept per conversation (default 200)") { $0.conversationLimits.maxTurns = try integer($1, "--max-turns", 2...100_000) },
        Option(flag: "--max-conversation-bytes", value: "N", help: "text kept per conversation (default 1048576)") { $0.conversationLimits.maxBytes = try integer($1, "--max-conversation-bytes", 1024...1 << 30) },
        Option(flag: "--max-conversations-bytes", value: "N", help: "text kept by all conversations together (default 268435456)") { $0.conversationLimits.maxTotalBytes = try integer($1, "--max-conversations-bytes", 1024...1 << 40) },
        Option(flag: "--conversation-expiry-seconds", value: "S", help: "forget idle conversations (default 3600)") { $0.conversationLimits.idleExpiry = .seconds(try integer($1, "--conversation-expiry-seconds", 1...31_536_000)) },
        Option(flag: "--max-reply-bytes", value: "N", help: "bytes of events one reply may hold (default 2097152)") { $0.replies.maxBytes = try integer($1, "--max-reply-bytes", 16 * 1024...1 << 30) },
        Option(flag: "--reply-grace-seconds", value: "S", help: "a resumable reply goes on this long with no reader (default 30)") { $0.replies.grace = .seconds(try integer($1, "--reply-grace-seconds", 0...3600)) },
        Option(flag: "--max-connections", value: "N", help: "open connections at most (default 10000)") { $0.server.maxConnections = try integer($1, "--max-connections", 1...1_000_000) },
        Option(flag: "--event-loops", value: "N", help: "threads serving connections (default: one per core)") { $0.server.eventLoops = try integer($1, "--event-loops", 1...256) },
        Option(flag: "--write-timeout-seconds", value: "S", help: "drop a client whose socket takes no bytes this long (default 30)") { $0.server.writeTimeout = .seconds(try integer($1, "--write-timeout-seconds", 1...3600)) },
        Option(flag: "--record", value: "DIR", help: "save each exchange with a remote backend as a cassette in DIR") { $0.recordDirectory = $1 },
        Option(flag: "--replay", value: "DIR", help: "add the replay backend, answering from the cassettes in DIR") { $0.replayDirectory = $1 },
        Option(flag: "--replay-speed", value: "X", help: "replay pace: 1 as recorded (default), 2 twice as fast, 0 at once") {
            guard let speed = Double($1), speed >= 0, speed <= 1000 else { throw Failure(description: "--replay-speed takes a number from 0 to 1000, not '\($1)'") }
            $0.replaySpeed = speed
        },
        Option(flag: "--shutdown-grace-seconds", value: "S", help: "time streams get to finish on shutdown (default 5)") { $0.server.shutdownGracePeriod = .seconds(try integer($1, "--shutdown-grace-seconds", 0...600)) },
    ]

    static func parse(_ arguments: [String], environment: [String: String]) throws -> Outcome {
        var configuration = RunnelConfiguration()
        for option in options {
            guard let value = environment[option.environmentName], !value.isEmpty else { continue }
            if option.value == nil {
                guard ["1", "true", "yes", "on"].contains(value.lowercased()) else { continue }
            }
            do { try option.apply(&configuration, value) } catch let failure as Failure {
                throw Failure(description: "\(option.environmentName): \(failure.description)")
            }
        }
        var index = 0
        while index < arguments.count {
            var argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help }
            if argument == "--version" { return .version }
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "="), argument.hasPrefix("--") {
                inlineValue = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            guard let option = options.first(where: { $0.flag == argument }) else {
                let flags = options.map(\.flag) + ["--help", "--version"]
                if let near = closest(to: argument, among: flags) {
                    throw Failure(description: "unknown option '\(argument)'; did you mean \(near)?")
                }
                throw Failure(description: "unknown option '\(argument)' (see runnel --help)")
            }
            var value = ""
            if option.value != nil {
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else { throw Failure(description: "\(argument) needs a value (\(option.value!))") }
                    value = arguments[index]
                    index += 1
                }
            }
            try option.apply(&configuration, value)
        }
        return .run(configuration)
    }

    static var helpText: String {
        var lines = [
            "runnel \(RunnelApp.version): a streaming chat dev server in one binary",
            "",
            "usage: runnel [options]",
            "",
        ]
        for option in options {
            let flag = option.value.map { "\(option.flag) \($0)" } ?? option.flag
            lines.append("  " + flag.padding(toLength: 34, withPad: " ", startingAt: 0) + option.help)
        }
        lines += [
            "  --help, --version",
            "",
            "Each option is also read from the environment: --port 9000 ↔ RUNNEL_PORT=9000.",
            "Keys come from the environment only: OPENAI_API_KEY, GEMINI_API_KEY, ANTHROPIC_API_KEY;",
            "base URLs and models from OPENAI_BASE_URL, OPENAI_MODEL, GEMINI_*, ANTHROPIC_*.",
        ]
        return lines.joined(separator: "\n")
    }

    /// The flag nearest to a mistyped one (`--prot` → `--port`), if one is near enough to be
    /// what was meant: at most 2 edits, and fewer than half of the flag's letters.
    static func closest(to typed: String, among flags: [String]) -> String? {
        let scored = flags.map { (flag: $0, distance: editDistance(typed, $0)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        let letters = best.flag.count - 2
        return best.distance <= min(2, (letters - 1) / 2) ? best.flag : nil
    }

    /// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`:
    /// the optimal string alignment distance, so a swapped pair counts as one typo.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { rows[i][0] = i }
        for j in 0...b.count { rows[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
                }
            }
        }
        return rows[a.count][b.count]
    }

    private static func integer(_ text: String, _ flag: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw Failure(description: "\(flag) takes a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return value
    }
}
