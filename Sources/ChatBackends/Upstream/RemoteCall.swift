import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Turns one provider's stream events into chat events.
///
/// Each remote backend has one; `RemoteCall` handles everything they share (HTTP,
/// status mapping, SSE framing, timeouts), so an interpreter is only the wire format.
protocol UpstreamEventInterpreter {
    /// Hands the chat events in one server-sent event to `emit`. Throws
    /// `ChatBackendError` when the event reports an error (having emitted nothing).
    mutating func interpret(_ event: SSEEventView, _ emit: (ChatEvent) -> Void) throws(ChatBackendError)
    /// Whether the stream announced its own end (OpenAI `[DONE]`, Anthropic
    /// `message_stop`); the call then returns without waiting for the connection to close.
    var isComplete: Bool { get }
    /// Called when the connection closed before `isComplete`: throw if that means the
    /// reply was cut short.
    func finishWithoutCompletion() throws(ChatBackendError)
}

/// One streamed request to a provider, from URL to chat events.
struct RemoteCall: Sendable {
    /// Error bodies are read up to this size; enough for any provider's error object.
    static let maxErrorBody = 64 << 10

    /// The provider's name, prefixed to every message ("openai: HTTP 429: …").
    var label: String
    var request: URLRequest
    var body: Data
    var timeouts: UpstreamTimeouts
    /// Values that must never appear in an error message (the API key).
    var secrets: [String]

    /// A POST of `json` to `url` with JSON and event-stream headers plus `headers`.
    init(label: String, url: URL, json: Data, headers: [String: String], timeouts: UpstreamTimeouts, secrets: [String]) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        request.setValue("runnel", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        self.init(label: label, request: request, body: json, timeouts: timeouts, secrets: secrets)
    }

    init(label: String, request: URLRequest, body: Data, timeouts: UpstreamTimeouts, secrets: [String]) {
        self.label = label
        self.request = request
        self.body = body
        self.timeouts = timeouts
        self.secrets = secrets
    }

    private enum Mode {
        /// A success with an event stream: decode as it arrives.
        case events
        /// An error status, or a success that is JSON rather than an event stream:
        /// collect the body, then explain.
        case collect(status: Int)
    }

    /// Performs the call, yielding chat events as they arrive. When the exchange is traced
    /// (`ExchangeTrace.current`: recording, the inspector), the request and every part of
    /// the response are noted there too.
    func run<Interpreter: UpstreamEventInterpreter>(_ interpreter: Interpreter, yield: EventStream.Yield) async throws {
        let trace = ExchangeTrace.current
        trace?.noteUpstream(request, body: body, secrets: secrets)
        let response = HTTPStreamClient.stream(request, body: body, timeouts: timeouts, label: label)
        defer { response.finish() }  // decoding may stop at the provider's end marker, before the body's end
        try await decode(response, interpreter, trace: trace, yield: yield)
    }

    /// Turns a response into chat events with `interpreter`: the network's, or a
    /// cassette's played back (`ReplayBackend`), decoded by the same code.
    func decode<Parts: AsyncSequence<UpstreamPart, any Error>, Interpreter: UpstreamEventInterpreter>(
        _ parts: Parts, _ interpreter: Interpreter, trace: ExchangeTrace?, yield: EventStream.Yield
    ) async throws {
        var interpreter = interpreter
        var decoder = SSEDecoder()
        var mode = Mode.events
        var collected = Data()

        reading: for try await part in parts {
            trace?.note(part)
            switch (part, mode) {
            case (.head(let status, let headers), _):
                let contentType = headers["content-type"]?.lowercased() ?? ""
                let isJSONInsteadOfEvents = !contentType.contains("event-stream") && contentType.contains("json")
                if !(200..<300).contains(status) || isJSONInsteadOfEvents {
                    mode = .collect(status: status)
                }
            case (.body(let data), .events):
                // Each event is read where it lies in the decoder's buffer: no copy, no
                // String of it, no array of events.
                let goOn = try data.withUnsafeBytes { bytes in
                    try decoder.feed(bytes) { event throws(ChatBackendError) in
                        try interpreter.interpret(event, yield)
                        return !interpreter.isComplete
                    }
                }
                if !goOn { return }
            case (.body(let data), .collect):
                collected += data.prefix(Self.maxErrorBody - collected.count)
                if collected.count >= Self.maxErrorBody { break reading }
            }
        }
        // The loop also ends when our task is cancelled; that is not the upstream's doing.
        try Task.checkCancellation()

        switch mode {
        case .collect(let status) where !(200..<300).contains(status):
            throw UpstreamFailure.httpStatus(status, body: collected, label: label, secrets: secrets)
        case .collect:
            throw unexpectedJSON(collected)
        case .events:
            try decoder.finish { event throws(ChatBackendError) in
                try interpreter.interpret(event, yield)
                return !interpreter.isComplete
            }
            if !interpreter.isComplete { try interpreter.finishWithoutCompletion() }
        }
    }

    /// A success status with a JSON body instead of a stream: usually an error object
    /// from a compatible server that ignores `stream: true`.
    private func unexpectedJSON(_ body: Data) -> ChatBackendError {
        if let message = UpstreamFailure.providerMessage(in: body) {
            return ChatBackendError(.upstreamProtocol, "\(label): \(UpstreamFailure.quote(message, secrets: secrets))")
        }
        return ChatBackendError(.upstreamProtocol, "\(label): expected an event stream but got a JSON response (does the server support streaming?)")
    }
}

extension RemoteCall {
    /// The stream a remote backend returns: build the call for the request, run it, and
    /// read the provider's events with the interpreter made for that call's secrets.
    static func stream<Interpreter: UpstreamEventInterpreter & SendableMetatype>(
        label: String,
        call: @escaping @Sendable () throws(ChatBackendError) -> RemoteCall,
        interpreter: @escaping @Sendable (_ label: String, _ secrets: [String]) -> Interpreter
    ) -> ChatEvents {
        EventStream.run(label: label) { yield in
            let remote = try call()
            try await remote.run(interpreter(label, remote.secrets), yield: yield)
        }
    }
}
