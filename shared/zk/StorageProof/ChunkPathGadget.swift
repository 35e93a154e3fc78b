/// The chunk-opening gadget shared by the single and batch circuits: hash the chunk's data to
/// its leaf, walk the 4-ary path with the index digits, and require the top to equal R.
///
/// Cost: Poseidon(16) 609 + 10 × (Poseidon(4) 297 + placement 5) + root equality 1 = 3,630
/// constraints. The index bits are supplied (and constrained boolean) by the caller.
extension ConstraintSystem {
    /// Constraints of one opening (leaf, path, root equality), excluding the index bits.
    static let chunkOpeningConstraintCount = 609 + StorageProofParameters.treeDepth * (297 + 5) + 1

    /// Constrains one opening under `root`. `indexBits` are the chunk index's 20 bits, least
    /// significant first, already constrained boolean and tied to a public input by the caller;
    /// bits 2k and 2k + 1 form the base-4 digit that places the path node at level k.
    ///
    /// The chunk elements and siblings become private witnesses. Nothing here depends on their
    /// values, so an all-zero opening yields the same constraints as a real one.
    mutating func enforceChunkOpening(
        _ opening: ChunkOpening, indexBits: ArraySlice<Variable>, root: LinearCombination
    ) throws(StorageProofError) {
        precondition(indexBits.count == StorageProofParameters.indexBitCount, "one bit pair per level")
        let elements = opening.elements.map { LinearCombination(witness($0)) }
        var current = try poseidon(elements)
        var bit = indexBits.startIndex
        for level in opening.siblings {
            let siblings = level.map { LinearCombination(witness($0)) }
            let children = placeAmongSiblings(
                current, siblings: siblings,
                low: LinearCombination(indexBits[bit]), high: LinearCombination(indexBits[bit + 1])
            )
            current = try poseidon(children)
            bit += 2
        }
        assertEqual(current, root)
    }

    /// The four children of a level: `current` inserted among the three siblings at position
    /// d = low + 2·high, the siblings keeping their order (5 constraints; bits must be boolean).
    ///
    /// With p = low·high the position indicators are linear: e₀ = 1 − low − high + p,
    /// e₁ = low − p, e₂ = high − p, e₃ = p. Then
    ///
    /// | child | d = 0 | d = 1 | d = 2 | d = 3 | as constrained |
    /// |---|---|---|---|---|---|
    /// | c₀ | cur | s₀ | s₀ | s₀ | s₀ + e₀·(cur − s₀) |
    /// | c₁ | s₀ | cur | s₁ | s₁ | s₁ + e₀·(s₀ − s₁) + e₁·(cur − s₁) |
    /// | c₃ | s₂ | s₂ | s₂ | cur | s₂ + p·(cur − s₂) |
    /// | c₂ | s₁ | s₁ | cur | s₂ | (cur + s₀ + s₁ + s₂) − c₀ − c₁ − c₃ |
    ///
    /// c₂ is free because the four children are always a permutation of the four inputs, so
    /// their sum is fixed. Every child is pinned by the constraints (no free witness), and each
    /// feeds an S-box of the next Poseidon, so a changed sibling breaks the path.
    mutating func placeAmongSiblings(
        _ current: LinearCombination, siblings: [LinearCombination],
        low: LinearCombination, high: LinearCombination
    ) -> [LinearCombination] {
        let s0 = siblings[0], s1 = siblings[1], s2 = siblings[2]
        let both = LinearCombination(multiply(low, high))
        let atZero = LinearCombination.one - low - high + both
        let atOne = low - both
        let c0 = s0 + LinearCombination(multiply(atZero, current - s0))
        let c1 = s1 + LinearCombination(multiply(atZero, s0 - s1)) + LinearCombination(multiply(atOne, current - s1))
        let c3 = s2 + LinearCombination(multiply(both, current - s2))
        let c2 = current + s0 + s1 + s2 - c0 - c1 - c3
        return [c0, c1, c2, c3]
    }

    /// Poseidon with the error mapped into the storage-proof error type.
    private mutating func poseidon(_ inputs: [LinearCombination]) throws(StorageProofError) -> LinearCombination {
        do {
            return try poseidonHash(inputs)
        } catch {
            throw .poseidon(error)
        }
    }
}
