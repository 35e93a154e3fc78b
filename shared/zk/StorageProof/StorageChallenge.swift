import Crypto

/// Which chunks a proof must open, derived outside the circuit from a public random beacon and
/// the root, so anyone (API, contract, auditor) can recompute them and the prover cannot choose.
///
/// Deriving the index in the circuit would add ~630 constraints per challenge (zk.md §4); here
/// the verifier recomputes it and passes it as a public input instead.
///
/// Content is split into blocks of 64 consecutive chunks (31,744 bytes); the last block may be
/// short. Byte layouts (all integers big-endian, `‖` is concatenation, R is the root's
/// standard value as 32 bytes):
///
/// - **Block k of a request for `count` challenges:**
///   `block_k = SHA-256(beacon ‖ R ‖ "pakit-blocks" ‖ k as u32) mod blockCount`, for
///   k = 0, 1, 2, …; the 12 tag bytes are the ASCII of `pakit-blocks`. When
///   blockCount ≥ count a block already chosen is skipped (k moves on), so the blocks are
///   distinct; when blockCount < count repeats are kept (every draw counts).
/// - **Chunk for block b and counter c:**
///   `index = b·64 + (SHA-256(beacon ‖ R ‖ b as u64 ‖ c as u32) mod chunksInBlock(b))`,
///   where chunksInBlock(b) is 64, or what remains for the last block.
///   The n-th occurrence of a block in the selection (n = 0, 1, …) uses counter c = n, so a
///   repeated block is sampled afresh.
///
/// The digest is read as a 256-bit big-endian integer and reduced modulo the (≤ 2²⁰) range;
/// the bias is below 2⁻²³⁵. The beacon is 1 … 1024 arbitrary bytes (e.g. a block hash).
public enum StorageChallenge {
    /// Domain tag of the block-selection hash: ASCII "pakit-blocks" (12 bytes).
    public static let blockSelectionTag: [UInt8] = Array("pakit-blocks".utf8)
    /// Allowed beacon lengths in bytes.
    public static let beaconLengths = 1...1024
    /// Most challenges one derivation yields (keeps duplicate-skipping bounded).
    public static let maximumCount = 4096

    /// Number of blocks, ⌈chunkCount / 64⌉.
    public static func blockCount(chunkCount: Int) -> Int {
        (chunkCount + StorageProofParameters.chunksPerBlock - 1) / StorageProofParameters.chunksPerBlock
    }

    /// Chunks in block `block`: 64, or fewer for the last block; 0 past the end.
    public static func chunksInBlock(_ block: UInt64, chunkCount: Int) -> Int {
        let perBlock = UInt64(StorageProofParameters.chunksPerBlock)
        let first = block.multipliedReportingOverflow(by: perBlock)
        guard !first.overflow, first.partialValue < UInt64(max(chunkCount, 0)) else { return 0 }
        return Int(min(perBlock, UInt64(chunkCount) - first.partialValue))
    }

    /// The chunk challenged in `block` with `counter` (layout in the type's documentation).
    public static func chunkIndex(
        beacon: [UInt8], root: Fr, chunkCount: Int, block: UInt64, counter: UInt32
    ) throws(StorageProofError) -> UInt64 {
        try validate(beacon: beacon, chunkCount: chunkCount)
        let width = chunksInBlock(block, chunkCount: chunkCount)
        guard width > 0 else {
            let first = block &* UInt64(StorageProofParameters.chunksPerBlock)
            throw .chunkIndexOutOfRange(index: first, chunkCount: chunkCount)
        }
        var hasher = SHA256()
        hasher.update(data: beacon)
        hasher.update(data: root.bigEndianBytes)
        hasher.update(data: bigEndian(block))
        hasher.update(data: bigEndian(counter))
        let offset = reduce(hasher.finalize(), modulo: UInt64(width))
        return block * UInt64(StorageProofParameters.chunksPerBlock) + offset
    }

    /// The `count` challenged blocks in derivation order (layout in the type's documentation).
    public static func blocks(
        beacon: [UInt8], root: Fr, chunkCount: Int, count: Int
    ) throws(StorageProofError) -> [UInt64] {
        try validate(beacon: beacon, chunkCount: chunkCount)
        guard (1...maximumCount).contains(count) else { throw .invalidChallengeCount(count) }
        let blockCount = UInt64(blockCount(chunkCount: chunkCount))
        let distinct = blockCount >= UInt64(count)
        let prefix = beacon + root.bigEndianBytes + blockSelectionTag
        var chosen: [UInt64] = []
        var seen = Set<UInt64>()
        var k: UInt32 = 0
        while chosen.count < count {
            var hasher = SHA256()
            hasher.update(data: prefix)
            hasher.update(data: bigEndian(k))
            let block = reduce(hasher.finalize(), modulo: blockCount)
            // Terminates: with blockCount ≥ count an unseen block always remains, and each
            // draw hits one with probability ≥ 1/blockCount.
            if !distinct || seen.insert(block).inserted { chosen.append(block) }
            k &+= 1
        }
        return chosen
    }

    /// The `count` challenged chunk indices, in order: block selection, then one chunk per
    /// selected block (counter = how often that block was selected before).
    public static func chunkIndices(
        beacon: [UInt8], root: Fr, chunkCount: Int, count: Int
    ) throws(StorageProofError) -> [UInt64] {
        let selected = try blocks(beacon: beacon, root: root, chunkCount: chunkCount, count: count)
        var occurrences: [UInt64: UInt32] = [:]
        var indices: [UInt64] = []
        indices.reserveCapacity(count)
        for block in selected {
            let counter = occurrences[block, default: 0]
            occurrences[block] = counter + 1
            indices.append(try chunkIndex(
                beacon: beacon, root: root, chunkCount: chunkCount, block: block, counter: counter
            ))
        }
        return indices
    }

    // MARK: Helpers

    private static func validate(beacon: [UInt8], chunkCount: Int) throws(StorageProofError) {
        guard beaconLengths.contains(beacon.count) else { throw .invalidBeaconLength(beacon.count) }
        guard (1...StorageProofParameters.chunkCapacity).contains(chunkCount) else {
            throw .invalidChunkCount(chunkCount)
        }
    }

    /// The digest as a big-endian integer modulo `modulus` (1 … 2²⁰), by Horner's rule.
    static func reduce(_ digest: SHA256Digest, modulo modulus: UInt64) -> UInt64 {
        var remainder: UInt64 = 0
        for byte in digest { remainder = ((remainder << 8) | UInt64(byte)) % modulus }
        return remainder
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * $0)) }
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * $0)) }
    }
}

extension StorageChallenge {
    /// The `count` challenged chunk indices for `tree` (its root and chunk count).
    public static func chunkIndices(
        beacon: [UInt8], tree: CommitmentTree, count: Int
    ) throws(StorageProofError) -> [UInt64] {
        try chunkIndices(beacon: beacon, root: tree.root, chunkCount: tree.chunkCount, count: count)
    }
}
