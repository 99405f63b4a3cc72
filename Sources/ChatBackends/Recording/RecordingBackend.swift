import Foundation

/// A remote backend whose every exchange is saved as a cassette (`--record DIR`, README
/// "Record and replay"). The raw bytes come from `RemoteCall` through the exchange's
/// `ExchangeTrace`; this wrapper only decides to keep them.
///
/// ```swift
/// let recorded = RecordingBackend(OpenAIBackend(settings: settings), shelf: CassetteShelf(directory: folder))
/// ```
public struct RecordingBackend: ChatBackend {
    /// The remote backend recorded.
    public let base: any ChatBackend
    /// Where its cassettes go.
    public let shelf: CassetteShelf
    /// Told of each file written, or of why one could not be.
    public let log: @Sendable (String) -> Void

    /// The base backend's name, model and kind: recording changes nothing a client sees.
    public var name: String { base.name }
    public var model: String { base.model }
    public var kind: String { base.kind }

    /// Records `base`'s exchanges on `shelf`, telling `log` of each file.
    public init(_ base: any ChatBackend, shelf: CassetteShelf, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.base = base
        self.shelf = shelf
        self.log = log
    }

    /// Streams through the exchange's trace (the caller's, e.g. a reply's in dev mode, or
    /// a new one) and saves it when the exchange ends, however it ends.
    public func stream(_ request: ChatRequest) -> ChatEvents {
        let save: @Sendable (ExchangeTrace.Snapshot) -> Void = { [shelf, log] snapshot in
            do {
                let file = try shelf.save(Cassette(snapshot))
                log("runnel: recorded \(file.path)")
            } catch {
                log("runnel: could not record the exchange in \(shelf.directory.path): \(error)")
            }
        }
        if let trace = ExchangeTrace.current {
            trace.onFinish(save)
            return base.stream(request)
        }
        let trace = ExchangeTrace()
        trace.onFinish(save)
        return trace.stream(base, request)
    }
}
