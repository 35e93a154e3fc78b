/// One step of a Merkle inclusion proof: the sibling hash met on the way to the root and
/// which side of the pair it sits on.
public struct MerkleStep: Hashable, Sendable, Codable {
    /// The sibling's 32-byte BLAKE2b-256 hash.
    public let node: [UInt8]
    /// True when the sibling is the left half of the pair, so the parent is
    /// `blake2_256(node ‖ current)`; false for `blake2_256(current ‖ node)`.
    public let nodeIsLeft: Bool

    public init(node: [UInt8], nodeIsLeft: Bool) {
        self.node = node
        self.nodeIsLeft = nodeIsLeft
    }
}

/// A BLAKE2b-256 binary Merkle tree over a file's leaf CIDs, in the proof form BelizeChain's
/// StorageProof pallet verifies.
///
/// The tree rule:
/// - Leaves are the hashes `blake2_256(cidBytes)` of the file's leaf CIDs, in file order.
/// - Each level pairs its nodes left to right: nodes `2i` and `2i + 1` have the parent
///   `blake2_256(left ‖ right)`.
/// - A level with an odd count promotes its last node unchanged to the next level (it is not
///   paired with itself), so a proof has no step for that level.
/// - The root is the single node of the top level. With no leaves it is `blake2_256([])`
///   and there are no proofs.
///
/// Verification walks from the leaf up: `current = leaf`, then per step
/// `current = blake2_256(node ‖ current)` if `nodeIsLeft`, else `blake2_256(current ‖ node)`,
/// and finally `current == root`.
public struct BinaryMerkleTree: Sendable {
    /// Every level, leaves first and the one-node root level last (empty for no leaves).
    private let levels: [[[UInt8]]]

    /// Byte length of every node.
    public static let hashLength = 32

    /// The hash a leaf CID contributes: `blake2_256(cidBytes)`.
    public static func leafHash(_ cidBytes: [UInt8]) -> [UInt8] {
        Blake2b.hash256(cidBytes)
    }

    /// Builds the tree, keeping every level so proofs are cheap.
    ///
    /// - Precondition: every leaf hash is 32 bytes long (produce them with ``leafHash(_:)``).
    public init(leafHashes: [[UInt8]]) {
        precondition(leafHashes.allSatisfy { $0.count == Self.hashLength },
                     "Merkle leaf hashes must be \(Self.hashLength) bytes")
        guard !leafHashes.isEmpty else {
            levels = []
            return
        }
        var levels = [leafHashes]
        var level = leafHashes
        while level.count > 1 {
            var parents: [[UInt8]] = []
            parents.reserveCapacity((level.count + 1) / 2)
            var index = 0
            while index + 1 < level.count {
                parents.append(Blake2b.hash256(level[index], level[index + 1]))
                index += 2
            }
            if index < level.count {
                parents.append(level[index])
            }
            levels.append(parents)
            level = parents
        }
        self.levels = levels
    }

    /// The leaf hashes, in file order.
    public var leafHashes: [[UInt8]] { levels.first ?? [] }

    /// Number of leaves.
    public var leafCount: Int { levels.first?.count ?? 0 }

    /// The 32-byte root; `blake2_256([])` for a tree without leaves.
    public var root: [UInt8] {
        levels.last?.first ?? Blake2b.hash256([UInt8]())
    }

    /// The inclusion proof of leaf `index`, from the leaf level up; nil when out of range.
    public func proof(forLeaf index: Int) -> [MerkleStep]? {
        guard index >= 0, index < leafCount else { return nil }
        var steps: [MerkleStep] = []
        var position = index
        for level in levels.dropLast() {
            let sibling = position ^ 1
            // An unpaired last node is promoted unchanged: no step at this level.
            if sibling < level.count {
                steps.append(MerkleStep(node: level[sibling], nodeIsLeft: sibling < position))
            }
            position /= 2
        }
        return steps
    }

    /// What BelizeChain's StorageProof pallet is given to anchor this tree: the content id, a
    /// leaf and its path. The pallet refuses an empty path (`EmptyMerkleProof`), so a tree of
    /// one leaf is anchored as the two-leaf tree of that leaf with itself: content id
    /// `blake2_256(leaf ‖ leaf)`, path `[leaf on the right]`. Every other tree is anchored as
    /// it is (content id = `root`). Nil for a tree without leaves or an index out of range.
    public func anchorProof(forLeaf index: Int) -> (contentID: [UInt8], leaf: [UInt8], steps: [MerkleStep])? {
        guard let steps = proof(forLeaf: index) else { return nil }
        let leaf = leafHashes[index]
        if leafCount == 1 { return (Blake2b.hash256(leaf, leaf), leaf, [MerkleStep(node: leaf, nodeIsLeft: false)]) }
        return (root, leaf, steps)
    }

    /// Checks that `steps` lead from `leaf` to `root`, exactly as the pallet does.
    /// Returns false for any hash that is not 32 bytes, as the pallet cannot express one.
    public static func verify(leaf: [UInt8], steps: [MerkleStep], root: [UInt8]) -> Bool {
        guard leaf.count == hashLength, root.count == hashLength,
              steps.allSatisfy({ $0.node.count == hashLength }) else { return false }
        var current = leaf
        for step in steps {
            current = step.nodeIsLeft
                ? Blake2b.hash256(step.node, current)
                : Blake2b.hash256(current, step.node)
        }
        return current == root
    }
}
