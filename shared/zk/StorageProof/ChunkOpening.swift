/// The private witness for one challenged chunk: its data as field elements and its
/// authentication path. The initialiser checks the shape, so a malformed opening is a typed
/// error at the seam and never a trap inside circuit synthesis.
public struct ChunkOpening: Sendable, Equatable {
    /// Global chunk index (< 2²⁰); its base-4 digits are the path positions, lowest level first.
    public let index: UInt64
    /// The chunk's 16 elements (`ChunkEncoding`).
    public let elements: [Fr]
    /// 10 levels × 3 sibling nodes, bottom-up, as `CommitmentTree.siblings(ofChunk:)` returns them.
    public let siblings: [[Fr]]

    /// Validates the shape: index < 2²⁰, 16 elements, 10 × 3 siblings.
    public init(index: UInt64, elements: [Fr], siblings: [[Fr]]) throws(StorageProofError) {
        guard index < UInt64(StorageProofParameters.chunkCapacity) else { throw .chunkIndexTooLarge(index) }
        guard elements.count == StorageProofParameters.elementsPerChunk else {
            throw .wrongElementCount(expected: StorageProofParameters.elementsPerChunk, actual: elements.count)
        }
        guard siblings.count == StorageProofParameters.treeDepth,
              siblings.allSatisfy({ $0.count == StorageProofParameters.treeArity - 1 })
        else { throw .wrongSiblingShape }
        self.index = index
        self.elements = elements
        self.siblings = siblings
    }

    /// An all-zero opening of chunk 0: the same shape as any real opening, for synthesising
    /// the circuit at key-generation time (the constraints do not depend on the values).
    public static let setupOpening: ChunkOpening = ChunkOpening(
        unchecked: 0,
        elements: [Fr](repeating: .zero, count: StorageProofParameters.elementsPerChunk),
        siblings: [[Fr]](
            repeating: [Fr](repeating: .zero, count: StorageProofParameters.treeArity - 1),
            count: StorageProofParameters.treeDepth
        )
    )

    /// Skips validation for values that have the right shape by construction.
    private init(unchecked index: UInt64, elements: [Fr], siblings: [[Fr]]) {
        self.index = index
        self.elements = elements
        self.siblings = siblings
    }

    /// The root this opening leads to, computed natively (what the circuit enforces equals R).
    public func recomputeRoot() -> Fr {
        let hasher = CommitmentHasher.shared
        var current = hasher.leaf(elements: elements)
        var position = index
        for level in siblings {
            var children = level
            children.insert(current, at: Int(position & 3))
            current = hasher.node(children)
            position >>= 2
        }
        return current
    }
}
