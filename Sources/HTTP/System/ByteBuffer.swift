/// A growable byte queue: append at the back, consume from the front.
///
/// Consumed bytes are reclaimed lazily (when more than half the storage is dead), so consuming
/// is O(1) and appending stays amortised O(1).
struct ByteBuffer {
    private(set) var storage: [UInt8] = []
    private(set) var readIndex = 0
    /// The storage is an array adopted from the caller, so probably shared with it.
    private var adopted = false

    var count: Int { storage.count - readIndex }
    var isEmpty: Bool { readIndex == storage.count }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
        adopted = false  // Appending made the storage our own.
    }

    mutating func append<S: Sequence>(contentsOf bytes: S) where S.Element == UInt8 {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
        adopted = false  // Appending made the storage our own.
    }

    /// Appends an array; into an empty buffer it is adopted rather than copied (copy-on-write
    /// shares the handler's response body until it is consumed).
    mutating func append(contentsOf bytes: [UInt8]) {
        if storage.isEmpty {
            storage = bytes
            readIndex = 0
            adopted = true
            return
        }
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
        adopted = false  // Appending made the storage our own.
    }

    mutating func append(_ string: String) {
        append(contentsOf: string.utf8)
    }

    mutating func consume(_ n: Int) {
        precondition(n <= count, "consumed past the end of the buffer")
        readIndex += n
        if readIndex == storage.count {
            // Keeping the capacity of shared storage would allocate a fresh buffer to keep it in.
            storage.removeAll(keepingCapacity: !adopted && storage.capacity <= 64 * 1024)
            readIndex = 0
            adopted = false
        }
    }

    /// Removes and returns the first `n` bytes.
    mutating func read(_ n: Int) -> [UInt8] {
        let bytes = Array(storage[readIndex..<readIndex + n])
        consume(n)
        return bytes
    }

    mutating func removeAll() {
        storage = []
        readIndex = 0
        adopted = false
    }

    func withReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[readIndex...])) }
    }

    subscript(offset: Int) -> UInt8 { storage[readIndex + offset] }

    /// The offset of the first CRLF at or after `from`, searching at most `limit` bytes.
    func firstCRLF(from: Int = 0, limit: Int) -> Int? {
        let end = min(count, limit + 2)
        var i = from
        while i + 1 < end {
            if storage[readIndex + i] == 0x0D && storage[readIndex + i + 1] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    func slice(_ range: Range<Int>) -> ArraySlice<UInt8> {
        storage[(readIndex + range.lowerBound)..<(readIndex + range.upperBound)]
    }

    private mutating func compactIfWorthIt() {
        if readIndex > 4096 && readIndex * 2 > storage.count {
            storage.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
