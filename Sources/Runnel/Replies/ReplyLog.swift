/// The events of one reply, in order, as the bytes of their `data:` lines: an append-only
/// log that every reader walks with its own cursor (an event count), so a slow reader, a
/// resumed one and a live one share one copy (README "Replies").
///
/// Events are stored without SSE `id:` fields; a reader that wants them (a resumable
/// stream, `GET /api/replies/{id}/events`) gets `id: N` put before event N, N from 1.
struct ReplyLog: Sendable {
    /// Every event's bytes, back to back.
    private(set) var bytes: [UInt8] = []
    /// Where each event ends in `bytes` (32 bits: a log is capped far below 4 GiB).
    private var ends: [UInt32] = []

    var eventCount: Int { ends.count }
    var byteCount: Int { bytes.count }

    mutating func append(_ event: [UInt8]) {
        bytes += event
        ends.append(UInt32(bytes.count))
    }

    /// Gives back the room kept for growth (up to half of it, by doubling) once the log is
    /// complete: a finished reply may stay readable for minutes.
    mutating func shrinkToFit() {
        bytes = bytes.withUnsafeBufferPointer { Array($0) }  // a fresh buffer of exactly `count`
        ends = ends.withUnsafeBufferPointer { Array($0) }
    }

    /// The events after the first `cursor`, ready to write (with `id:` fields if asked),
    /// as many as fit in `limit` bytes but at least one; and the cursor after them.
    func events(after cursor: Int, ids: Bool, limit: Int) -> (bytes: [UInt8], cursor: Int) {
        guard cursor < ends.count else { return ([], cursor) }
        let start = cursor == 0 ? 0 : Int(ends[cursor - 1])
        var last = cursor + 1
        while last < ends.count && Int(ends[last]) - start <= limit { last += 1 }
        let end = Int(ends[last - 1])
        guard ids else { return (Array(bytes[start..<end]), last) }
        var out: [UInt8] = []
        out.reserveCapacity(end - start + (last - cursor) * 12)
        var from = start
        for index in cursor..<last {
            out += "id: ".utf8
            out += String(index + 1).utf8
            out.append(0x0A)
            out += bytes[from..<Int(ends[index])]
            from = Int(ends[index])
        }
        return (out, last)
    }
}
