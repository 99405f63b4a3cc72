/// A binary min-heap of deadlines, each carrying a payload: the earliest is read in O(1),
/// added and removed in O(log n). The event loop keeps one entry per wait with a deadline
/// and never searches it: an entry whose wait already ended is left in place ("lazy
/// deletion") and skipped when it comes to the top, or dropped by ``removeAll(where:)``
/// once such entries outnumber the live ones.
struct DeadlineHeap<Payload> {
    typealias Entry = (deadline: ContinuousClock.Instant, payload: Payload)

    private var entries: [Entry] = []

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// The entry with the earliest deadline.
    var first: Entry? { entries.first }

    mutating func insert(_ deadline: ContinuousClock.Instant, _ payload: Payload) {
        entries.append((deadline, payload))
        siftUp(entries.count - 1)
    }

    /// Removes and returns the entry with the earliest deadline.
    mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let first = entries.removeLast()
        siftDown(0)
        return first
    }

    /// Drops the entries `shouldRemove` picks and restores the order: O(n).
    mutating func removeAll(where shouldRemove: (Entry) -> Bool) {
        entries.removeAll(where: shouldRemove)
        for index in stride(from: entries.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            var smallest = parent
            let left = 2 * parent + 1
            let right = left + 1
            if left < entries.count, entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count, entries[right].deadline < entries[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
