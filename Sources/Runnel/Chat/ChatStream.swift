import ChatBackends
import HTTPServer

/// The chat stream's wire format (README "The wire format") and the pump that fills a
/// reply from its backend: `chunk` events as the backend yields them, written straight to
/// bytes; the closing `error` / `json_data` / `end` events are the reply's to write.
enum ChatStream {
    /// Runs `events` in this task (the reply's backend task), each event going into
    /// `reply` as it is made, until the backend ends, fails, or the reply ends first
    /// (stopped, abandoned, capped: then this task was cancelled, the work stops at its
    /// next wait, and what it still makes is refused by the ended reply).
    static func pump(_ events: ChatEvents, into reply: Reply) async {
        do throws(ChatBackendError) {
            try await events.forEach { event in
                switch event {
                case .delta(let text): _ = reply.append(.chunk(text))
                case .reasoning(let text): _ = reply.append(.thinking(text))
                case .usage(let usage): reply.note(usage: usage)
                case .model(let model): reply.note(model: model)
                case .finish(let reason): reply.note(finish: reason)
                case .reasoningSignature: break  // opaque, for Anthropic clients only
                case .wireFault(.malformedFrame): _ = reply.append(.frame(malformedFrame))
                case .wireFault(.dropConnection): reply.end(.dropped)
                }
            }
            // A cancelled stream just ends: that was the reply ending, so this is a no-op.
            reply.end(.completed)
        } catch {
            reply.end(.failed(code: error.code.rawValue, message: error.message))
        }
    }

    /// What the mock's `malformed` fault sends (README "Mock scenarios"): a `data:` line
    /// whose JSON is cut short, then the blank line that ends an event.
    static let malformedFrame = Array("data: {\"chunk\":\"malformed\n\n".utf8)

    /// What a stream's producer throws for the mock's `drop` fault: the server then
    /// closes the connection without ending the body.
    struct DroppedConnection: Error {}

    /// The bytes `appendTextEvent` adds around the escaped text of a `chunk` event.
    static let chunkEventOverhead = #"data: {"chunk":""}"#.utf8.count + 2
    /// The same for a `thinking` event.
    static let thinkingEventOverhead = #"data: {"thinking":""}"#.utf8.count + 2

    /// `data: {"<field>":"…"}` and its blank line (`chunk` or `thinking`), written without
    /// building a JSON tree: this runs once per token.
    static func appendTextEvent(_ field: StaticString, _ text: String, to bytes: inout [UInt8]) {
        bytes += #"data: {""#.utf8
        bytes += UnsafeBufferPointer(start: field.utf8Start, count: field.utf8CodeUnitCount)
        bytes += #"":"#.utf8
        JSON.writeString(text, to: &bytes)
        bytes += [UInt8(ascii: "}"), 0x0A, 0x0A]
    }

    static func event(_ fields: [(String, JSON)]) -> [UInt8] {
        var bytes = Array("data: ".utf8)
        JSON.object(fields).write(to: &bytes)
        bytes += [0x0A, 0x0A]
        return bytes
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
