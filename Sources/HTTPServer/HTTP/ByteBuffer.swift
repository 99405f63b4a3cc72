/// Bytes received but not yet parsed. An emptied buffer releases its storage, so an idle
/// keep-alive connection holds no memory for it.
struct ByteBuffer {
    private(set) var storage: [UInt8] = []
    private(set) var readerIndex = 0

    var readableCount: Int { storage.count - readerIndex }
    var isEmpty: Bool { readableCount == 0 }

    init() {}
    init(_ bytes: [UInt8]) { storage = bytes }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        storage.append(contentsOf: bytes)
    }

    mutating func append(_ bytes: [UInt8]) {
        storage.append(contentsOf: bytes)
    }

    /// Marks `count` bytes as parsed; compacts once the parsed prefix dominates.
    mutating func consume(_ count: Int) {
        readerIndex += count
        if readerIndex == storage.count {
            storage = []
            readerIndex = 0
        } else if readerIndex > 4096 && readerIndex * 2 > storage.count {
            storage.removeFirst(readerIndex)
            readerIndex = 0
        }
    }

    /// Removes and returns up to `count` readable bytes.
    mutating func read(upTo count: Int) -> [UInt8] {
        let taken = min(count, readableCount)
        let bytes = Array(storage[readerIndex..<readerIndex + taken])
        consume(taken)
        return bytes
    }

    func withReadableBytes<T, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> T) throws(E) -> T {
        let start = readerIndex
        return try storage.withUnsafeBufferPointer { (all) throws(E) -> T in
            try body(UnsafeBufferPointer(rebasing: all[start...]))
        }
    }
}
