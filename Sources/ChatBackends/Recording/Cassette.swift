import Foundation

/// One recorded exchange with a remote backend, as a pretty-printed JSON file (README
/// "Record and replay"): the request without credentials, the provider's raw response
/// with arrival times, the normalized events and the outcome.
///
/// ```swift
/// let cassette = Cassette(trace.snapshot)
/// let file = try CassetteShelf(directory: url).save(cassette)
/// ```
public struct Cassette: Codable, Sendable {
    /// The `format` of the files this version writes and reads.
    public static let currentFormat = "runnel-cassette/1"

    /// `runnel-cassette/1`: files of another format are skipped, not misread.
    public var format = Cassette.currentFormat
    /// ISO 8601, UTC, milliseconds.
    public var recordedAt: String
    /// The backend that answered ("openai", "anthropic", "gemini"): which interpreter
    /// replays the raw bytes.
    public var backend: String
    /// The model asked for (a `model` event tells the one that answered).
    public var model: String
    /// What was asked.
    public var request: Request
    /// Nil when no response head arrived (the connection failed).
    public var response: Response?
    /// The normalized stream, with arrival times.
    public var events: [Event]
    /// How the exchange ended.
    public var outcome: Outcome

    /// What was asked: the conversation (what replay matches on) and the HTTP request.
    public struct Request: Codable, Sendable {
        /// The conversation, the new user turn last.
        public var messages: [ChatMessage]
        /// The request's own system prompt, if it had one.
        public var system: String?
        /// The HTTP request, credentials removed; nil for a local backend.
        public var upstream: ExchangeTrace.UpstreamRequest?
    }

    /// The upstream's answer, frame by frame as the network delivered it.
    public struct Response: Codable, Sendable {
        /// The HTTP status.
        public var status: Int
        /// Response headers, names lowercased.
        public var headers: [String: String]
        /// Milliseconds from the request to the head.
        public var atMs: Double
        /// The body, read by read.
        public var frames: [Frame]
        /// Bytes received past the recording's bound and not kept (0: the whole response).
        public var bytesDropped: Int
    }

    /// One network read: its bytes as text when they are UTF-8 (a frame may end inside a
    /// character: then `base64`), and when it arrived.
    public struct Frame: Codable, Sendable {
        /// Milliseconds from the request.
        public var atMs: Double
        /// The bytes, when they are UTF-8.
        public var text: String?
        /// The bytes otherwise.
        public var base64: String?

        /// The frame's bytes, from whichever field holds them.
        public var bytes: Data {
            if let text { return Data(text.utf8) }
            return base64.flatMap { Data(base64Encoded: $0) } ?? Data()
        }
    }

    /// A normalized event: `{"type": "delta", "at_ms": 12.5, "text": "Hi"}`. One `type`
    /// per `ChatEvent` case (see `init(_:at:)` and `chatEvent`, the two places to extend).
    public struct Event: Codable, Sendable {
        /// `delta`, `reasoning`, `signature`, `usage`, `model`, `finish` or `wire_fault`
        /// (the mock's, README "Mock scenarios"; `text` names it: `malformed_frame`…).
        public var type: String
        /// Milliseconds from the request.
        public var atMs: Double
        /// A delta's text.
        public var text: String?
        /// A model event's model.
        public var model: String?
        /// A usage event's counts.
        public var inputTokens: Int?
        public var outputTokens: Int?
        public var reasoningTokens: Int?
        /// A finish event's reason (`stop`, `length`, …).
        public var reason: String?
    }

    /// `{"type": "completed"}`, `{"type": "failed", "code", "message"}` or `{"type": "cancelled"}`.
    public struct Outcome: Codable, Sendable, Equatable {
        /// `completed`, `failed` or `cancelled` (`streaming` in a live reply's trace).
        public var type: String
        /// A failure's code and message, as the `error` event gave them.
        public var code: String?
        public var message: String?
    }
}

extension Cassette.Event {
    /// The event as the cassette writes it.
    public init(_ event: ChatEvent, at: Duration) {
        self.init(type: "", atMs: at.milliseconds)
        switch event {
        case .delta(let text):
            type = "delta"
            self.text = text
        case .reasoning(let text):
            type = "reasoning"
            self.text = text
        case .reasoningSignature(let signature):
            type = "signature"
            self.text = signature
        case .usage(let usage):
            type = "usage"
            inputTokens = usage.inputTokens
            outputTokens = usage.outputTokens
            reasoningTokens = usage.reasoningTokens
        case .model(let name):
            type = "model"
            model = name
        case .finish(let finish):
            type = "finish"
            reason = finish.rawValue
        case .wireFault(let fault):
            type = "wire_fault"
            text = fault.rawValue
        }
    }

    /// The event a cassette describes; nil for a type this version does not know.
    public var chatEvent: ChatEvent? {
        switch type {
        case "delta": text.map(ChatEvent.delta)
        case "reasoning": text.map(ChatEvent.reasoning)
        case "signature": text.map(ChatEvent.reasoningSignature)
        case "usage": .usage(ChatUsage(inputTokens: inputTokens, outputTokens: outputTokens, reasoningTokens: reasoningTokens))
        case "model": model.map(ChatEvent.model)
        case "finish": reason.flatMap(ChatFinishReason.init(rawValue:)).map(ChatEvent.finish)
        case "wire_fault": text.flatMap(WireFault.init(rawValue:)).map(ChatEvent.wireFault)
        default: nil
        }
    }

    private init(type: String, atMs: Double) {
        self.type = type
        self.atMs = atMs
    }
}

extension Cassette.Outcome {
    init(_ outcome: ExchangeTrace.Outcome?) {
        switch outcome {
        case .completed: self.init(type: "completed")
        case .failed(let error): self.init(type: "failed", code: error.code.rawValue, message: error.message)
        case .cancelled: self.init(type: "cancelled")
        case nil: self.init(type: "streaming")
        }
    }

    /// The error a failed exchange ended with.
    var error: ChatBackendError? {
        guard type == "failed" else { return nil }
        return ChatBackendError(ChatBackendError.Code(rawValue: code ?? "") ?? .internalError, message ?? "")
    }
}

extension Cassette {
    /// The cassette of a traced exchange. Keys leave nothing behind: the request was
    /// cleaned as it was noted, and every text here (messages, frames, error messages)
    /// passes `SecretRedactor` with the exchange's keys.
    public init(_ snapshot: ExchangeTrace.Snapshot) {
        func clean(_ text: String) -> String { SecretRedactor.redact(text, secrets: snapshot.secrets) }
        recordedAt = Self.timestamp(snapshot.startedAt)
        backend = snapshot.backend
        model = snapshot.model
        request = Request(messages: snapshot.messages.map { ChatMessage(role: $0.role, content: clean($0.content)) },
                          system: snapshot.system.map(clean), upstream: snapshot.upstream)
        response = snapshot.status.map { status in
            Response(status: status, headers: snapshot.responseHeaders, atMs: (snapshot.headAt ?? .zero).milliseconds,
                     frames: snapshot.frames.map { frame in
                         if let text = String(validating: frame.bytes, as: UTF8.self) {
                             return Frame(atMs: frame.at.milliseconds, text: clean(text), base64: nil)
                         }
                         return Frame(atMs: frame.at.milliseconds, text: nil, base64: frame.bytes.base64EncodedString())
                     },
                     bytesDropped: snapshot.rawBytesDropped)
        }
        events = snapshot.events.map { timed in
            var event = Event(timed.event, at: timed.at)
            event.text = event.text.map(clean)  // a reply may quote a key too; its frames are cleaned alike
            return event
        }
        var outcome = Outcome(snapshot.outcome)
        outcome.message = outcome.message.map(clean)
        self.outcome = outcome
    }

    /// The newest user turn: what a person names a recording by.
    public var lastUserMessage: String {
        request.messages.last(where: { $0.role == .user })?.content ?? ""
    }

    /// `date` in ISO 8601, UTC, with milliseconds.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// The file's bytes: pretty-printed, keys sorted (stable diffs), snake_case.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }

    /// The cassette in a file's bytes.
    public static func decode(_ data: Data) throws -> Cassette {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Cassette.self, from: data)
    }
}

extension Duration {
    /// Milliseconds, with microsecond precision.
    var milliseconds: Double {
        ((Double(components.seconds) * 1e3 + Double(components.attoseconds) / 1e15) * 1000).rounded() / 1000
    }
}
