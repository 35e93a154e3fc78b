/// The fixed shape of Pakit's storage proofs (zk.md §4): how content is cut into chunks, how
/// chunks become field elements, the commitment tree, challenge blocks and batch size.
///
/// Every value here is baked into the circuits, so changing any of them changes the
/// constraint system and requires a new trusted setup (phase 2) and a new verifying key.
public enum StorageProofParameters {
    /// Bytes per chunk, the unit a proof opens: 16 field elements × 31 bytes.
    public static let chunkByteCount = 496
    /// Field elements per chunk; the leaf is Poseidon over exactly these (Poseidon(16), t = 17).
    public static let elementsPerChunk = 16
    /// Bytes per field element: 31 bytes read little-endian are < 2²⁴⁸ < r, so every byte
    /// string maps to a distinct element without reduction.
    public static let bytesPerElement = 31
    /// Children per internal node (internal nodes are Poseidon(4)).
    public static let treeArity = 4
    /// Levels above the leaves. Fixed, so every path has the same shape in the circuit.
    public static let treeDepth = 10
    /// Leaf positions of a tree: 4¹⁰ = 2²⁰ chunks.
    public static let chunkCapacity = 1 << 20
    /// The most content one tree commits to: 2²⁰ × 496 = 520,093,696 bytes.
    public static let byteCapacity = chunkCapacity * chunkByteCount
    /// Consecutive chunks per block, the unit that challenges sample.
    public static let chunksPerBlock = 64
    /// Bytes per full block: 64 × 496 = 31,744.
    public static let blockByteCount = chunksPerBlock * chunkByteCount
    /// Default number of challenges in one batch proof.
    public static let defaultBatchSize = 100
    /// Bits of a chunk index in the circuits (2 per tree level), so indices are < 2²⁰.
    public static let indexBitCount = 2 * treeDepth
    /// Chunk indices packed into one public input of the batch circuit: 12 × 20 = 240 bits,
    /// below 253 so the bit decomposition of a packed input is unique.
    public static let indicesPerPackedInput = 12
}
