/// The events of one reply, in order, as the bytes of their `data:` lines: an append-only
/// log that every reader walks with its own cursor (an event count), so a slow reader, a
/// resumed one and a live one share one copy (README "Replies").
///
/// Events are stored without SSE `id:` fields; a reader that wants them (a resumable
/// stream, `GET /api/replies/{id}/events`) gets `id: N` put before event N, N from 1.
struct ReplyLog: Sendable {
    /// Every event's bytes, back to back.
    private(set) var bytes: [UInt8] = []
    /// Where each event ends in `bytes`.
    private var ends: [Int] = []

    var eventCount: Int { ends.count }
    var byteCount: Int { bytes.count }

    mutating func append(_ event: [UInt8]) {
        bytes += event
        ends.append(bytes.count)
    }

    /// The events after the first `cursor`, ready to write (with `id:` fields if asked).
    func events(after cursor: Int, ids: Bool) -> [UInt8] {
        guard cursor < ends.count else { return [] }
        let start = cursor == 0 ? 0 : ends[cursor - 1]
        guard ids else { return Array(bytes[start...]) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count - start + (ends.count - cursor) * 12)
        var from = start
        for index in cursor..<ends.count {
            out += "id: ".utf8
            out += String(index + 1).utf8
            out.append(0x0A)
            out += bytes[from..<ends[index]]
            from = ends[index]
        }
        return out
    }
}
