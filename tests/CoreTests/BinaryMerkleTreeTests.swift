import Testing
@testable import PakitCore

@Suite("Binary Merkle tree")
struct BinaryMerkleTreeTests {
    /// The vector from BelizeChain's StorageProof pallet tests.
    @Test("StorageProof pallet vector verifies")
    func palletVector() {
        let leaf = Blake2b.hash256(Array("block-data".utf8))
        let sibling1 = Blake2b.hash256(Array("sibling-1".utf8))
        let sibling2 = Blake2b.hash256(Array("sibling-2".utf8))
        #expect(leaf == Self.bytes(hex: "cea088b8e8e43246887d223295c8c3be763770bbccd84d9aec6402186c3f79b9"))
        #expect(sibling1 == Self.bytes(hex: "c0e97d8a64ff73af8eb860dbf8e2d0fb32fa005566985ded835deb3bcce4fa48"))
        #expect(sibling2 == Self.bytes(hex: "3e20d9e339cf9ffaad15d0e0fc05172bc6947f1bdde91bf3d1d4eb7b316e3432"))

        let root = Self.bytes(hex: "0fd0dac5cb132ef1f23496c67af6f57c5389f8d5f46971bb7790c031ae471575")
        let steps = [MerkleStep(node: sibling1, nodeIsLeft: false), MerkleStep(node: sibling2, nodeIsLeft: false)]
        #expect(BinaryMerkleTree.verify(leaf: leaf, steps: steps, root: root))
        // Same proof with the sides swapped must not verify.
        let swapped = steps.map { MerkleStep(node: $0.node, nodeIsLeft: true) }
        #expect(!BinaryMerkleTree.verify(leaf: leaf, steps: swapped, root: root))

        // A three-leaf tree [leaf, sibling1, sibling2] has exactly this root; the odd
        // third leaf is promoted, so its proof is one left step.
        let tree = BinaryMerkleTree(leafHashes: [leaf, sibling1, sibling2])
        #expect(tree.root == root)
        #expect(tree.proof(forLeaf: 0) == steps)
        #expect(tree.proof(forLeaf: 2) ==
            [MerkleStep(node: Blake2b.hash256(leaf + sibling1), nodeIsLeft: true)])
    }

    @Test("Leaf hash is blake2_256 of the CID bytes")
    func leafHash() {
        let cid: [UInt8] = [0x01, 0x55, 0x12, 0x20] + Array(repeating: 0xAB, count: 32)
        #expect(BinaryMerkleTree.leafHash(cid) == Blake2b.hash256(cid))
    }

    @Test("Empty tree: root is blake2_256 of nothing, no proofs")
    func emptyTree() {
        let tree = BinaryMerkleTree(leafHashes: [])
        #expect(tree.leafCount == 0)
        #expect(tree.leafHashes.isEmpty)
        #expect(tree.root == Self.bytes(hex: "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"))
        #expect(tree.proof(forLeaf: 0) == nil)
    }

    @Test("Single leaf: the root is the leaf and the proof is empty")
    func singleLeaf() {
        let leaf = BinaryMerkleTree.leafHash([1, 2, 3])
        let tree = BinaryMerkleTree(leafHashes: [leaf])
        #expect(tree.root == leaf)
        #expect(tree.proof(forLeaf: 0) == [])
        #expect(BinaryMerkleTree.verify(leaf: leaf, steps: [], root: tree.root))
        #expect(tree.proof(forLeaf: 1) == nil)
        #expect(tree.proof(forLeaf: -1) == nil)
    }

    @Test("Odd nodes are promoted unchanged through several levels")
    func oddPromotion() {
        let l = Self.leaves(5)
        let h01 = Blake2b.hash256(l[0] + l[1]), h23 = Blake2b.hash256(l[2] + l[3])
        let h0123 = Blake2b.hash256(h01 + h23)
        let tree = BinaryMerkleTree(leafHashes: l)
        #expect(tree.root == Blake2b.hash256(h0123 + l[4]))
        #expect(tree.proof(forLeaf: 4) == [MerkleStep(node: h0123, nodeIsLeft: true)])
        #expect(tree.proof(forLeaf: 2) == [
            MerkleStep(node: l[3], nodeIsLeft: false),
            MerkleStep(node: h01, nodeIsLeft: true),
            MerkleStep(node: l[4], nodeIsLeft: false),
        ])
    }

    @Test("Every proof verifies and matches a reference root, 1...33 leaves", arguments: 1...33)
    func allProofsVerify(count: Int) {
        let l = Self.leaves(count)
        let tree = BinaryMerkleTree(leafHashes: l)
        #expect(tree.leafCount == count)
        #expect(tree.leafHashes == l)
        #expect(tree.root == Self.referenceRoot(l))
        let maxDepth = Int.bitWidth - (count - 1).leadingZeroBitCount
        for index in 0..<count {
            guard let proof = tree.proof(forLeaf: index) else {
                Issue.record("no proof for leaf \(index) of \(count)")
                continue
            }
            #expect(proof.count <= maxDepth)
            #expect(BinaryMerkleTree.verify(leaf: l[index], steps: proof, root: tree.root))
        }
        #expect(tree.proof(forLeaf: count) == nil)
    }

    @Test("Any flipped bit or side in a proof, leaf or root fails", arguments: [2, 5, 13, 33])
    func tamperingFails(count: Int) {
        let l = Self.leaves(count)
        let tree = BinaryMerkleTree(leafHashes: l)
        let root = tree.root
        for index in 0..<count {
            guard let proof = tree.proof(forLeaf: index) else {
                Issue.record("no proof for leaf \(index)")
                continue
            }
            for bit in [0, 7, 100, 255] {
                #expect(!BinaryMerkleTree.verify(leaf: Self.flipped(l[index], bit: bit), steps: proof, root: root))
                #expect(!BinaryMerkleTree.verify(leaf: l[index], steps: proof, root: Self.flipped(root, bit: bit)))
            }
            for (position, step) in proof.enumerated() {
                for bit in [0, 13, 128, 255] {
                    var tampered = proof
                    tampered[position] = MerkleStep(node: Self.flipped(step.node, bit: bit), nodeIsLeft: step.nodeIsLeft)
                    #expect(!BinaryMerkleTree.verify(leaf: l[index], steps: tampered, root: root))
                }
                var sideSwapped = proof
                sideSwapped[position] = MerkleStep(node: step.node, nodeIsLeft: !step.nodeIsLeft)
                #expect(!BinaryMerkleTree.verify(leaf: l[index], steps: sideSwapped, root: root))
            }
            // Dropping a step or proving against another leaf fails too.
            if !proof.isEmpty {
                #expect(!BinaryMerkleTree.verify(leaf: l[index], steps: Array(proof.dropLast()), root: root))
            }
            #expect(!BinaryMerkleTree.verify(leaf: l[(index + 1) % count], steps: proof, root: root))
        }
    }

    @Test("Hashes of the wrong length never verify")
    func wrongLengths() {
        let l = Self.leaves(2)
        let tree = BinaryMerkleTree(leafHashes: l)
        let step = MerkleStep(node: l[1], nodeIsLeft: false)
        #expect(BinaryMerkleTree.verify(leaf: l[0], steps: [step], root: tree.root))
        #expect(!BinaryMerkleTree.verify(leaf: l[0] + [0], steps: [step], root: tree.root))
        #expect(!BinaryMerkleTree.verify(leaf: l[0], steps: [MerkleStep(node: [], nodeIsLeft: false)], root: tree.root))
        #expect(!BinaryMerkleTree.verify(leaf: l[0], steps: [step], root: Array(tree.root.dropLast())))
    }
}

extension BinaryMerkleTreeTests {
    /// `count` distinct leaf hashes.
    static func leaves(_ count: Int) -> [[UInt8]] {
        (0..<count).map { BinaryMerkleTree.leafHash(Array("leaf-\($0)".utf8)) }
    }

    /// The tree rule restated independently: hash adjacent pairs of the concatenation, carry an
    /// odd last node up unchanged, repeat until one node is left.
    static func referenceRoot(_ leaves: [[UInt8]]) -> [UInt8] {
        var level = leaves
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { i in
                i + 1 < level.count ? Blake2b.hash256(level[i] + level[i + 1]) : level[i]
            }
        }
        return level.first ?? Blake2b.hash256([UInt8]())
    }

    static func flipped(_ bytes: [UInt8], bit: Int) -> [UInt8] {
        var copy = bytes
        copy[bit / 8] ^= 1 << UInt8(bit % 8)
        return copy
    }

    static func bytes(hex: String) -> [UInt8] {
        let nibbles = hex.utf8.map { $0 <= 0x39 ? $0 - 0x30 : $0 - 0x57 }
        return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }
}
