/// The witness of a batch proof: one root and one opening per challenge, in challenge order.
public struct BatchChunkWitness: Sendable, Equatable {
    /// The commitment R shared by every challenge.
    public var root: Fr
    /// The openings, in the order of the challenged indices.
    public var openings: [ChunkOpening]

    /// Pairs a root with openings (each validated its own shape; the count is checked at synthesis).
    public init(root: Fr, openings: [ChunkOpening]) {
        self.root = root
        self.openings = openings
    }
}

/// n challenged chunks under one root in one proof (zk.md §4.1): one 256-byte Groth16 proof
/// for the whole batch, with verification cost independent of n apart from the public inputs.
///
/// - Public inputs, in order: **[R, packed₀, …, packed_{m−1}]**, m = ⌈n/12⌉, where
///   packed_j = Σ_{k<12} index_{12j+k} · 2^{20k} (`packIndices`). Slots past n are absent
///   rather than zero-filled in the circuit: packed_j is decomposed into exactly
///   20 · (indices it carries) bits (240, or 20·(n mod 12) for a short last group), so any
///   value in the unused high bits makes the recomposition fail.
/// - Each 20-bit group is that challenge's index bits; bits 2k, 2k+1 are its digit at level k.
/// - n copies of the chunk-opening gadget, all compared with the one R.
///
/// Constraints: 3,630·n + Σ_j (bits_j + 1) = 3,650·n + ⌈n/12⌉ (n = 100: 365,009; domain 2¹⁹).
public struct BatchChunkCircuit: StorageProofCircuit {
    /// Largest supported batch (≈ 3.7 M constraints; far beyond what 2 cores prove usefully).
    public static let maximumCount = 1024

    /// Number of challenges n.
    public let count: Int

    /// A batch circuit for `count` challenges (1 … `maximumCount`; production uses 100).
    public init(count: Int = StorageProofParameters.defaultBatchSize) throws(StorageProofError) {
        guard (1...Self.maximumCount).contains(count) else { throw .invalidBatchSize(count) }
        self.count = count
    }

    /// Number of packed index inputs, ⌈n / 12⌉.
    public var packedInputCount: Int {
        (count + StorageProofParameters.indicesPerPackedInput - 1) / StorageProofParameters.indicesPerPackedInput
    }

    /// 1 (R) + ⌈n / 12⌉.
    public var publicInputCount: Int { 1 + packedInputCount }

    /// 3,650·n + ⌈n/12⌉.
    public var constraintCount: Int {
        count * (ConstraintSystem.chunkOpeningConstraintCount + StorageProofParameters.indexBitCount)
            + packedInputCount
    }

    /// The public inputs [R, packed…] a verifier rebuilds from the root and the challenged
    /// indices (exactly `count` of them, each < 2²⁰).
    public func publicInputs(root: Fr, chunkIndices: [UInt64]) throws(StorageProofError) -> [Fr] {
        guard chunkIndices.count == count else {
            throw .wrongChallengeCount(expected: count, actual: chunkIndices.count)
        }
        return [root] + (try Self.packIndices(chunkIndices))
    }

    /// Packs 20-bit indices 12 per field element, index 12j + k at bits [20k, 20k + 20) of
    /// element j; the last element carries the remainder (its high bits zero).
    public static func packIndices(_ indices: [UInt64]) throws(StorageProofError) -> [Fr] {
        let bitsPerIndex = StorageProofParameters.indexBitCount
        let perInput = StorageProofParameters.indicesPerPackedInput
        var packed: [Fr] = []
        for start in stride(from: 0, to: indices.count, by: perInput) {
            var limbs: [UInt64] = [0, 0, 0, 0]
            for (slot, index) in indices[start..<min(start + perInput, indices.count)].enumerated() {
                guard index < UInt64(StorageProofParameters.chunkCapacity) else { throw .chunkIndexTooLarge(index) }
                let shift = slot * bitsPerIndex
                limbs[shift / 64] |= index << UInt64(shift % 64)
                // An index straddling a limb boundary spills its high bits into the next limb.
                if shift % 64 + bitsPerIndex > 64 { limbs[shift / 64 + 1] |= index >> UInt64(64 - shift % 64) }
            }
            // < 2²⁴⁰ < r: no reduction happens.
            packed.append(Fr(reducedStandard: UInt256(limbs[0], limbs[1], limbs[2], limbs[3])))
        }
        return packed
    }

    /// Synthesises the circuit: public inputs first (R, then the packed indices), then each
    /// packed input's bits, then the openings in order.
    public func synthesize(_ witness: BatchChunkWitness) throws(StorageProofError) -> ConstraintSystem {
        guard witness.openings.count == count else {
            throw .wrongChallengeCount(expected: count, actual: witness.openings.count)
        }
        var cs = ConstraintSystem()
        let root = LinearCombination(cs.publicInput(witness.root))
        let packed = try Self.packIndices(witness.openings.map(\.index)).map { cs.publicInput($0) }
        var indexBits: [Variable] = []
        indexBits.reserveCapacity(count * StorageProofParameters.indexBitCount)
        for (group, input) in packed.enumerated() {
            let carried = min(StorageProofParameters.indicesPerPackedInput,
                              count - group * StorageProofParameters.indicesPerPackedInput)
            indexBits += cs.bits(of: LinearCombination(input), count: carried * StorageProofParameters.indexBitCount)
        }
        for (challenge, opening) in witness.openings.enumerated() {
            let first = challenge * StorageProofParameters.indexBitCount
            try cs.enforceChunkOpening(
                opening, indexBits: indexBits[first..<first + StorageProofParameters.indexBitCount], root: root
            )
        }
        return cs
    }

    /// Zero root and `count` all-zero openings of chunk 0.
    public var setupWitness: BatchChunkWitness {
        BatchChunkWitness(root: .zero, openings: Array(repeating: .setupOpening, count: count))
    }
}
