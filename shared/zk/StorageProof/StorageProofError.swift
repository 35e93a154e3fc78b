/// Errors of the storage-proof API (commitment trees, challenges, circuit witnesses).
///
/// Every request-reachable failure is one of these cases, so callers map them once (for
/// example to an HTTP error envelope) and never meet a trap.
public enum StorageProofError: Error, Equatable, Sendable {
    /// A commitment needs at least one byte: an empty tree has no chunk to challenge, and
    /// its root (the all-padding constant) would commit to nothing.
    case emptyContent
    /// The content exceeds one tree's capacity (`StorageProofParameters.byteCapacity`).
    case contentTooLarge(byteCount: UInt64)
    /// A chunk was given more than `chunkByteCount` bytes.
    case chunkTooLong(byteCount: Int)
    /// A chunk index is not below the tree's chunk count.
    case chunkIndexOutOfRange(index: UInt64, chunkCount: Int)
    /// A chunk index does not fit the circuits' 20 bits (it must be < 2²⁰).
    case chunkIndexTooLarge(UInt64)
    /// An opening must carry exactly `elementsPerChunk` elements.
    case wrongElementCount(expected: Int, actual: Int)
    /// An opening's siblings must be `treeDepth` levels of `treeArity − 1` nodes.
    case wrongSiblingShape
    /// Chunk bytes do not hash to the leaf the tree stores (the stored data or tree is corrupt).
    case chunkDoesNotMatchLeaf(index: UInt64)
    /// A batch carries a different number of openings or indices than the circuit expects.
    case wrongChallengeCount(expected: Int, actual: Int)
    /// Batch sizes are 1 … `BatchChunkCircuit.maximumCount`.
    case invalidBatchSize(Int)
    /// Challenge counts are 1 … `StorageChallenge.maximumCount`.
    case invalidChallengeCount(Int)
    /// A challenge needs a tree of 1 … 2²⁰ chunks.
    case invalidChunkCount(Int)
    /// Beacons are 1 … 1024 bytes.
    case invalidBeaconLength(Int)
    /// A serialized commitment tree was rejected.
    case malformedTree(TreeDecodingFailure)
    /// Poseidon refused its input (unreachable with the fixed widths used here; kept typed).
    case poseidon(PoseidonError)
}

/// Why a serialized commitment tree was rejected.
public enum TreeDecodingFailure: Equatable, Sendable {
    /// Fewer bytes than the header or the announced node count needs.
    case truncated
    /// Bytes follow the checksum.
    case trailingBytes
    /// The first four bytes are not "PKCT".
    case badMagic
    /// A format version this code does not read.
    case unsupportedVersion(UInt8)
    /// The depth or arity differs from the circuit's.
    case unsupportedShape(depth: UInt8, arity: UInt8)
    /// byteCount and chunkCount disagree, or exceed the capacity, or are zero.
    case inconsistentCounts
    /// A node is not a canonical field element (≥ r).
    case nonCanonicalNode(level: Int, position: Int)
    /// The SHA-256 trailer does not match the content.
    case checksumMismatch
    /// An internal node is not Poseidon(4) of its children (found when recomputing).
    case nodeMismatch(level: Int, position: Int)
}
