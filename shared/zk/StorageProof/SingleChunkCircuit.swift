/// The witness of a single-chunk proof: the root (public) and one opening (private, except
/// its index, which is public).
public struct SingleChunkWitness: Sendable, Equatable {
    /// The commitment R.
    public var root: Fr
    /// The challenged chunk and its path.
    public var opening: ChunkOpening

    /// Pairs a root with an opening (the opening validated its own shape).
    public init(root: Fr, opening: ChunkOpening) {
        self.root = root
        self.opening = opening
    }
}

/// One challenged chunk under one root (zk.md §4): "I know 496 bytes whose Poseidon(16) leaf
/// sits at position i of the tree with root R."
///
/// - Public inputs, in order: **[R, i]** (i = global chunk index < 2²⁰).
/// - Private: the chunk's 16 elements and 10 × 3 siblings.
/// - Num2Bits(20) of i (21 constraints) both range-checks i < 2²⁰ and yields the 10 base-4
///   path digits, so the path the prover walks is the one the verifier challenged.
///
/// 3,651 constraints; with 2 public inputs the Groth16 domain is 2¹² (3,651 + 3 ≤ 4,096).
public struct SingleChunkCircuit: StorageProofCircuit {
    /// Exact constraint count: 21 (index bits) + 3,630 (opening).
    public static let constraintCount = StorageProofParameters.indexBitCount + 1
        + ConstraintSystem.chunkOpeningConstraintCount
    /// R and i.
    public static let publicInputCount = 2

    /// The circuit (it has no parameters).
    public init() {}

    /// The public inputs [R, i] a verifier rebuilds from the root and the challenged index.
    public static func publicInputs(root: Fr, chunkIndex: UInt64) throws(StorageProofError) -> [Fr] {
        guard chunkIndex < UInt64(StorageProofParameters.chunkCapacity) else { throw .chunkIndexTooLarge(chunkIndex) }
        return [root, Fr(chunkIndex)]
    }

    /// Synthesises the circuit for `witness`: public inputs first (R, then i), then the index
    /// bits, the chunk elements and the path.
    public static func synthesize(_ witness: SingleChunkWitness) throws(StorageProofError) -> ConstraintSystem {
        var cs = ConstraintSystem()
        let root = LinearCombination(cs.publicInput(witness.root))
        let index = cs.publicInput(Fr(witness.opening.index))
        let bits = cs.bits(of: LinearCombination(index), count: StorageProofParameters.indexBitCount)
        try cs.enforceChunkOpening(witness.opening, indexBits: bits[...], root: root)
        return cs
    }

    /// Zero root and the all-zero opening of chunk 0.
    public static var setupWitness: SingleChunkWitness {
        SingleChunkWitness(root: .zero, opening: .setupOpening)
    }

    // MARK: StorageProofCircuit

    /// `SingleChunkCircuit.publicInputCount`.
    public var publicInputCount: Int { Self.publicInputCount }
    /// `SingleChunkCircuit.constraintCount`.
    public var constraintCount: Int { Self.constraintCount }
    /// `SingleChunkCircuit.setupWitness`.
    public var setupWitness: SingleChunkWitness { Self.setupWitness }
    /// `SingleChunkCircuit.synthesize(_:)`.
    public func synthesize(_ witness: SingleChunkWitness) throws(StorageProofError) -> ConstraintSystem {
        try Self.synthesize(witness)
    }
}
