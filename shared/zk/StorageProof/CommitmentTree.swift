/// The Poseidon commitment over some content: a fixed-depth 4-ary tree whose root R is the
/// public input of every storage proof (zk.md §4).
///
/// - Leaf i = Poseidon(16) of chunk i's elements (`ChunkEncoding`), so a proof must hash the
///   data itself; a prover that kept only the tree cannot answer.
/// - Internal node = Poseidon(4) of its children, left to right.
/// - Depth is always 10 (2²⁰ leaf positions), whatever the content size, so one circuit serves
///   every tree. Positions past the content are padding: an empty leaf is 0 and an empty
///   subtree at level k + 1 is Poseidon(4)(z_k, z_k, z_k, z_k) (`emptySubtreeRoots`). A real
///   leaf is a Poseidon output, so padding is not mistaken for a chunk of zero bytes.
/// - Only the occupied prefix of each level is stored (≈ 6.5% of the content size + ⅓ of that).
///
/// The root binds the chunk contents and the chunk count, not the exact byte length: content
/// that differs only by zero bytes at the end of its last chunk has the same root.
/// `byteCount` is carried beside the root for that reason; bind it outside (e.g. in the CID).
///
/// Empty content has no tree (`StorageProofError.emptyContent`): nothing could be challenged.
public struct CommitmentTree: Sendable, Equatable {
    /// Content length in bytes (1 … `StorageProofParameters.byteCapacity`).
    public let byteCount: Int
    /// levels[0] are the leaves, levels[10] is [root]; each holds its occupied prefix.
    let levels: [[Fr]]

    /// The commitment: the public input R of every proof over this content.
    public var root: Fr { levels[StorageProofParameters.treeDepth][0] }

    /// Number of chunks, ⌈byteCount / 496⌉.
    public var chunkCount: Int { levels[0].count }

    /// Number of challenge blocks, ⌈chunkCount / 64⌉.
    public var blockCount: Int { StorageChallenge.blockCount(chunkCount: chunkCount) }

    /// z₀ … z₁₀: the value of an all-padding subtree at each level (z₀ = 0 is the empty leaf,
    /// z_{k+1} = Poseidon(4)(z_k, z_k, z_k, z_k)); z₁₀ is the root of an empty tree.
    public static let emptySubtreeRoots: [Fr] = {
        let hasher = CommitmentHasher.shared
        var scratch = CommitmentHasher.Scratch()
        var roots = [Fr.zero]
        for _ in 0..<StorageProofParameters.treeDepth {
            let z = roots[roots.count - 1]
            roots.append(hasher.node(z, z, z, z, scratch: &scratch))
        }
        return roots
    }()

    /// Commits to `content` in one call (single task; see `CommitmentTreeBuilder` to stream and
    /// `sealConcurrently` to use more cores).
    public init(content: [UInt8]) throws(StorageProofError) {
        var builder = CommitmentTreeBuilder()
        try builder.append(content)
        self = try builder.finish()
    }

    /// Builds the internal levels over `leaves`. Callers validate the counts.
    init(byteCount: Int, leaves: [Fr]) {
        self.byteCount = byteCount
        self.levels = Self.levels(over: leaves)
    }

    /// Wraps levels already checked by the decoder.
    init(byteCount: Int, levels: [[Fr]]) {
        self.byteCount = byteCount
        self.levels = levels
    }

    /// All levels above `leaves`, padding with the empty-subtree values.
    static func levels(over leaves: [Fr]) -> [[Fr]] {
        let hasher = CommitmentHasher.shared
        let zeros = emptySubtreeRoots
        var scratch = CommitmentHasher.Scratch()
        var levels = [leaves]
        levels.reserveCapacity(StorageProofParameters.treeDepth + 1)
        for level in 0..<StorageProofParameters.treeDepth {
            let below = levels[level]
            let pad = zeros[level]
            let count = (below.count + 3) / 4
            var above = [Fr]()
            above.reserveCapacity(count)
            below.withUnsafeBufferPointer { children in
                for parent in 0..<count {
                    let first = 4 * parent
                    @inline(__always) func child(_ k: Int) -> Fr {
                        first + k < children.count ? children[first + k] : pad
                    }
                    above.append(hasher.node(child(0), child(1), child(2), child(3), scratch: &scratch))
                }
            }
            levels.append(above)
        }
        return levels
    }

    /// The node at `position` of `level`, or the padding value past the occupied prefix.
    func node(level: Int, position: Int) -> Fr {
        position < levels[level].count ? levels[level][position] : Self.emptySubtreeRoots[level]
    }

    /// The leaf (Poseidon(16) of the chunk) at a chunk index.
    public func leaf(ofChunk index: UInt64) throws(StorageProofError) -> Fr {
        try levels[0][checked(index)]
    }

    /// The authentication path of a chunk: for each of the 10 levels, bottom-up, the three
    /// nodes that share a parent with the path node, in increasing position order (the path
    /// node's own slot is left out; its position is the index's base-4 digit at that level).
    public func siblings(ofChunk index: UInt64) throws(StorageProofError) -> [[Fr]] {
        var position = try checked(index)
        var path: [[Fr]] = []
        path.reserveCapacity(StorageProofParameters.treeDepth)
        for level in 0..<StorageProofParameters.treeDepth {
            let first = position & ~3
            path.append((first..<first + 4).filter { $0 != position }.map { node(level: level, position: $0) })
            position >>= 2
        }
        return path
    }

    /// The circuit witness for chunk `index`, given the chunk's bytes as stored (≤ 496; the
    /// last chunk may be short). Throws `chunkDoesNotMatchLeaf` if the bytes do not hash to
    /// the committed leaf, so corrupted storage is reported before a proof is attempted.
    public func opening(
        ofChunk index: UInt64, bytes: some Collection<UInt8>
    ) throws(StorageProofError) -> ChunkOpening {
        let elements = try ChunkEncoding.elements(ofChunk: bytes)
        guard CommitmentHasher.shared.leaf(elements: elements) == (try leaf(ofChunk: index)) else {
            throw .chunkDoesNotMatchLeaf(index: index)
        }
        return try ChunkOpening(index: index, elements: elements, siblings: siblings(ofChunk: index))
    }

    /// The array index for a chunk index, or `chunkIndexOutOfRange`.
    private func checked(_ index: UInt64) throws(StorageProofError) -> Int {
        guard index < UInt64(chunkCount) else { throw .chunkIndexOutOfRange(index: index, chunkCount: chunkCount) }
        return Int(index)
    }
}
