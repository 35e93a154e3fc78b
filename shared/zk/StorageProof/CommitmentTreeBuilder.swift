/// Streams content into a `CommitmentTree`: append byte slices of any size as they arrive
/// (e.g. while a file is uploaded), then `finish()`.
///
/// Each full chunk is hashed as soon as it is complete, so memory holds one partial chunk plus
/// one 32-byte leaf per 496 bytes; the internal levels are built in `finish()` (about 5% of
/// the work — Poseidon(16) over every chunk dominates). `appendConcurrently` spreads the leaf
/// hashing of each slice over several cores.
public struct CommitmentTreeBuilder: Sendable {
    /// Leaves of the complete chunks so far.
    private var leaves: [Fr] = []
    /// Bytes of the chunk being filled (fewer than 496).
    private var pending: [UInt8] = []
    /// Bytes appended so far.
    public private(set) var byteCount = 0
    /// Poseidon scratch state, reused for every leaf.
    private var scratch = CommitmentHasher.Scratch()

    /// An empty builder.
    public init() {
        pending.reserveCapacity(StorageProofParameters.chunkByteCount)
    }

    /// Appends content. Throws `contentTooLarge` (and appends nothing) if the total would
    /// exceed one tree's capacity.
    public mutating func append(_ bytes: some Collection<UInt8>) throws(StorageProofError) {
        try checkCapacity(adding: bytes.count)
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            append(contiguous: UnsafeRawBufferPointer(buffer))
        }
        if handled == nil {
            Array(bytes).withUnsafeBytes { append(contiguous: $0) }
        }
    }

    /// Appends content like `append(_:)`, hashing the slice's complete chunks in up to
    /// `taskCount` child tasks. Pass slices of several chunks per task (e.g. 64 KiB) so the
    /// task overhead stays negligible. The resulting tree is the same.
    public mutating func appendConcurrently(
        _ bytes: some Collection<UInt8>, taskCount: Int = 2
    ) async throws(StorageProofError) {
        try checkCapacity(adding: bytes.count)
        let input = Array(bytes)
        let size = StorageProofParameters.chunkByteCount
        let start = input.withUnsafeBytes { fillPending(from: $0) }
        let wholeEnd = start + (input.count - start) / size * size
        if wholeEnd > start {
            leaves += await CommitmentTree.leaves(of: Array(input[start..<wholeEnd]), taskCount: taskCount)
        }
        pending.append(contentsOf: input[wholeEnd...])
        byteCount += input.count
    }

    /// The tree over everything appended. Throws `emptyContent` if nothing was appended.
    public func finish() throws(StorageProofError) -> CommitmentTree {
        guard byteCount > 0 else { throw .emptyContent }
        var leaves = self.leaves
        if !pending.isEmpty {
            var scratch = self.scratch
            let leaf = pending.withUnsafeBytes { CommitmentHasher.shared.leaf(chunk: $0, scratch: &scratch) }
            leaves.append(leaf)
        }
        return CommitmentTree(byteCount: byteCount, leaves: leaves)
    }

    // MARK: Internals

    private func checkCapacity(adding count: Int) throws(StorageProofError) {
        let total = byteCount + count
        guard total <= StorageProofParameters.byteCapacity else { throw .contentTooLarge(byteCount: UInt64(total)) }
    }

    private mutating func append(contiguous input: UnsafeRawBufferPointer) {
        let size = StorageProofParameters.chunkByteCount
        let hasher = CommitmentHasher.shared
        var offset = fillPending(from: input)
        while input.count - offset >= size {
            let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<offset + size])
            leaves.append(hasher.leaf(chunk: chunk, scratch: &scratch))
            offset += size
        }
        pending.append(contentsOf: input[offset...])
        byteCount += input.count
    }

    /// Tops up a partial pending chunk from the front of `input`, hashing it once complete;
    /// returns how many bytes of `input` were used (0 when nothing was pending).
    private mutating func fillPending(from input: UnsafeRawBufferPointer) -> Int {
        guard !pending.isEmpty else { return 0 }
        let size = StorageProofParameters.chunkByteCount
        let take = min(size - pending.count, input.count)
        pending.append(contentsOf: input[0..<take])
        if pending.count == size {
            let leaf = pending.withUnsafeBytes { CommitmentHasher.shared.leaf(chunk: $0, scratch: &scratch) }
            leaves.append(leaf)
            pending.removeAll(keepingCapacity: true)
        }
        return take
    }
}
