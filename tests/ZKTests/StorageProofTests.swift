import Testing
@testable import PakitZK

// MARK: - Helpers

/// Deterministic pseudo-random bytes (so failures are reproducible).
private func storageTestBytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var generator = SeededGenerator(state: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
}

/// The element for ≤ 31 bytes read little-endian, computed with plain integer arithmetic.
private func littleEndianElement(_ bytes: ArraySlice<UInt8>) -> Fr {
    var value = Fr.zero
    for byte in bytes.reversed() { value = value * Fr(256) + Fr(UInt64(byte)) }
    return value
}

/// The root by the definition, with nothing but `Poseidon.hash`: pad the leaves to 4¹⁰ with
/// zeros conceptually, hash level by level (padding subtrees are z_k).
private func referenceRoot(_ content: [UInt8]) throws -> Fr {
    var level = try stride(from: 0, to: content.count, by: 496).map { start in
        let chunk = Array(content[start..<min(start + 496, content.count)]) + [UInt8](repeating: 0, count: 496)
        let elements = (0..<16).map { littleEndianElement(chunk[(31 * $0)..<(31 * $0 + 31)]) }
        return try Poseidon.hash(elements)
    }
    var pad = Fr.zero
    for _ in 0..<10 {
        let padded = level + [Fr](repeating: pad, count: (4 - level.count % 4) % 4)
        level = try stride(from: 0, to: padded.count, by: 4).map { try Poseidon.hash(Array(padded[$0..<$0 + 4])) }
        pad = try Poseidon.hash([pad, pad, pad, pad])
    }
    return level[0]
}

/// Changes each variable from flat index `start` on (one at a time, in place) and returns the
/// indices for which no constraint that reads the variable breaks. With a satisfied system this
/// is equivalent to a full check (`ConstraintSystem.firstUnsatisfied(in:among:)`).
private func unpinnedVariables(_ cs: ConstraintSystem, from start: Int) throws -> [Int] {
    var assignment = cs.assignment
    let usage = cs.constraintsByVariable()
    var unpinned: [Int] = []
    for index in start..<assignment.count {
        let original = assignment[index]
        assignment[index] = original + .one
        if try cs.firstUnsatisfied(in: assignment, among: usage[index]) == nil { unpinned.append(index) }
        assignment[index] = original
    }
    return unpinned
}

/// Content spanning 70 chunks (two blocks, the second short) with a partial last chunk.
private let seventyChunks = storageTestBytes(69 * 496 + 100)

/// Work shared by several tests, done once per process (debug builds hash and synthesise slowly).
private enum StorageProofFixtures {
    /// The tree over `seventyChunks`.
    static let tree = Result { () throws(StorageProofError) in try CommitmentTree(content: seventyChunks) }

    /// The opening of `index` in `tree`, from the stored bytes.
    static func opening(_ index: UInt64) throws -> ChunkOpening {
        let start = Int(index) * 496
        return try tree.get().opening(ofChunk: index, bytes: seventyChunks[start..<min(start + 496, seventyChunks.count)])
    }

    /// An honest single-chunk witness for chunk 67 (digits 3, 0, 0, 1, 0, …) and its system.
    static let single = Result { () throws(StorageProofError) -> (SingleChunkWitness, ConstraintSystem) in
        let start = 67 * 496
        let opening = try tree.get().opening(ofChunk: 67, bytes: seventyChunks[start..<min(start + 496, seventyChunks.count)])
        let witness = SingleChunkWitness(root: try tree.get().root, opening: opening)
        return (witness, try SingleChunkCircuit.synthesize(witness))
    }
}

// MARK: - Encoding

@Suite("Storage proofs: chunk encoding")
struct ChunkEncodingTests {
    @Test("31 bytes read little-endian: 0x01 is 1, 31 × 0xff is 2²⁴⁸ − 1")
    func elementVectors() throws {
        #expect(ChunkEncoding.element(littleEndian: [1]) == Fr(1))
        #expect(ChunkEncoding.element(littleEndian: [0, 1]) == Fr(256))
        #expect(ChunkEncoding.element(littleEndian: [UInt8](repeating: 0xff, count: 31))?.hexString
            == "0x00" + String(repeating: "ff", count: 31))
        let counting = (1...31).map { UInt8($0) }
        #expect(ChunkEncoding.element(littleEndian: counting)?.hexString
            == "0x00" + counting.reversed().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
        #expect(ChunkEncoding.element(littleEndian: [UInt8](repeating: 0, count: 32)) == nil)
    }

    @Test("a 496-byte chunk is 16 elements of consecutive 31-byte slices")
    func fullChunk() throws {
        let chunk = storageTestBytes(496, seed: 1)
        let elements = try ChunkEncoding.elements(ofChunk: chunk)
        #expect(elements.count == 16)
        for j in 0..<16 { #expect(elements[j] == littleEndianElement(chunk[(31 * j)..<(31 * j + 31)])) }
    }

    @Test("a short chunk is zero-padded; a long one is refused")
    func shortAndLongChunks() throws {
        let chunk = storageTestBytes(40, seed: 2)
        let elements = try ChunkEncoding.elements(ofChunk: chunk)
        #expect(elements[0] == littleEndianElement(chunk[0..<31]))
        #expect(elements[1] == littleEndianElement(chunk[31..<40]))
        #expect(elements[2...].allSatisfy { $0.isZero })
        #expect(try ChunkEncoding.elements(ofChunk: [UInt8]()) == [Fr](repeating: .zero, count: 16))
        #expect(throws: StorageProofError.chunkTooLong(byteCount: 497)) {
            try ChunkEncoding.elements(ofChunk: [UInt8](repeating: 1, count: 497))
        }
        // A non-contiguous collection takes the copying path and agrees.
        #expect(try ChunkEncoding.elements(ofChunk: chunk.lazy.map { $0 }) == elements)
    }

    @Test("content splits into ⌈n / 496⌉ chunks")
    func chunking() throws {
        let content = storageTestBytes(1000, seed: 3)
        let chunks = ChunkEncoding.chunks(of: content)
        #expect(chunks.count == 3)
        #expect(chunks[2] == (try ChunkEncoding.elements(ofChunk: content[992...])))
        #expect(ChunkEncoding.chunks(of: []).isEmpty)
        #expect(ChunkEncoding.chunkCount(forByteCount: 496) == 1)
        #expect(ChunkEncoding.chunkCount(forByteCount: 497) == 2)
    }
}

// MARK: - Native hashing

@Suite("Storage proofs: native Poseidon kernel")
struct PoseidonKernelTests {
    @Test("lazy sums of products equal term-by-term sums, including all-(r − 1) inputs")
    func sumOfProducts() {
        var generator = SeededGenerator(state: 11)
        let maximal = -Fr.one
        for count in [1, 4, 16, 17, FrSumOfProducts.maximumTerms] {
            for extreme in [false, true] {
                let a = (0..<count).map { _ in extreme ? maximal : Fr.random(using: &generator) }
                let b = (0..<count).map { _ in extreme ? maximal : Fr.random(using: &generator) }
                let expected = zip(a, b).reduce(Fr.zero) { $0 + $1.0 * $1.1 }
                let lazy = a.withUnsafeBufferPointer { x in
                    b.withUnsafeBufferPointer { y in
                        FrSumOfProducts.sum(x.baseAddress!, y.baseAddress!, count: count)
                    }
                }
                #expect(lazy == expected, "count \(count), extreme \(extreme)")
            }
        }
        #expect(FrSumOfProducts.twoModulus == Fr.modulus.addingReportingOverflow(Fr.modulus).partialValue)
        #expect(FrSumOfProducts.fourModulus
            == FrSumOfProducts.twoModulus.addingReportingOverflow(FrSumOfProducts.twoModulus).partialValue)
    }

    @Test("leaf and node hashing equal Poseidon.hash")
    func hasherMatchesPoseidon() throws {
        var generator = SeededGenerator(state: 12)
        let hasher = CommitmentHasher.shared
        for _ in 0..<4 {
            let elements = (0..<16).map { _ in Fr.random(using: &generator) }
            #expect(hasher.leaf(elements: elements) == (try Poseidon.hash(elements)))
            let children = Array(elements[0..<4])
            #expect(hasher.node(children) == (try Poseidon.hash(children)))
        }
        #expect(hasher.leaf(elements: (1...16).map { Fr(UInt64($0)) }).hexString
            == "0x16159a551cbb66108281a48099fff949ae08afd7f1f2ec06de2ffb96b919b765")
        #expect(hasher.node((1...4).map { Fr(UInt64($0)) }).hexString
            == "0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465")
    }
}

// MARK: - Commitment tree

@Suite("Storage proofs: commitment tree")
struct CommitmentTreeTests {
    @Test("the root equals a direct recomputation with Poseidon.hash",
          arguments: [1, 31, 496, 497, 4 * 496 + 1, 17 * 496 + 250])
    func rootMatchesDefinition(byteCount: Int) throws {
        let content = storageTestBytes(byteCount, seed: UInt64(byteCount))
        let tree = try CommitmentTree(content: content)
        #expect(tree.root == (try referenceRoot(content)))
        #expect(tree.byteCount == byteCount)
        #expect(tree.chunkCount == ChunkEncoding.chunkCount(forByteCount: byteCount))
    }

    @Test("padding: z₀ = 0, z_{k+1} = Poseidon(z_k × 4), only occupied nodes stored")
    func paddingRules() throws {
        let zeros = CommitmentTree.emptySubtreeRoots
        #expect(zeros.count == 11)
        #expect(zeros[0] == .zero)
        for k in 0..<10 { #expect(zeros[k + 1] == (try Poseidon.hash([zeros[k], zeros[k], zeros[k], zeros[k]]))) }
        let tree = try CommitmentTree(content: storageTestBytes(5 * 496, seed: 4))
        #expect(tree.levels.map(\.count) == [5, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        // Chunk 4's siblings at level 0 are all padding leaves; at level 1 two of three are z₁.
        let path = try tree.siblings(ofChunk: 4)
        #expect(path[0] == [.zero, .zero, .zero])
        #expect(path[1] == [tree.levels[1][0], zeros[1], zeros[1]])
        #expect(path[9] == [zeros[9], zeros[9], zeros[9]])
    }

    @Test("a zero chunk is not padding; trailing zeros inside the last chunk are not bound")
    func zeroContent() throws {
        let one = try CommitmentTree(content: [UInt8](repeating: 0, count: 496))
        #expect(one.root != CommitmentTree.emptySubtreeRoots[10])
        let two = try CommitmentTree(content: [UInt8](repeating: 0, count: 992))
        #expect(one.root != two.root)
        let short = try CommitmentTree(content: [1, 2, 3])
        let padded = try CommitmentTree(content: [1, 2, 3, 0, 0])
        #expect(short.root == padded.root)
        #expect(short.byteCount != padded.byteCount)
    }

    @Test("empty content and content over capacity are typed errors")
    func sizeLimits() async throws {
        #expect(throws: StorageProofError.emptyContent) { try CommitmentTree(content: []) }
        #expect(throws: StorageProofError.emptyContent) { try CommitmentTreeBuilder().finish() }
        await #expect(throws: StorageProofError.emptyContent) {
            try await CommitmentTree.sealConcurrently(content: [])
        }
        var builder = CommitmentTreeBuilder()
        try builder.append([1, 2, 3])
        let over = StorageProofParameters.byteCapacity - 2
        #expect(throws: StorageProofError.contentTooLarge(byteCount: UInt64(over + 3))) {
            try builder.append(repeatElement(UInt8(0), count: over))
        }
        await #expect(throws: StorageProofError.contentTooLarge(byteCount: UInt64(over + 3))) {
            try await builder.appendConcurrently(repeatElement(UInt8(0), count: over))
        }
        #expect(builder.byteCount == 3)
        #expect(StorageProofParameters.byteCapacity == 520_093_696)
    }

    @Test("streaming in odd slices, one-shot and concurrent sealing give the same tree")
    func streamingAndConcurrency() async throws {
        let content = Array(seventyChunks.prefix(9 * 496 + 17))
        let oneShot = try CommitmentTree(content: content)
        var builder = CommitmentTreeBuilder()
        var offset = 0
        for size in [1, 7, 495, 496, 1000, 3, 500] where offset < content.count {
            let end = min(offset + size, content.count)
            try builder.append(content[offset..<end])
            offset = end
        }
        try builder.append(content[offset...])
        #expect(try builder.finish() == oneShot)
        var concurrent = CommitmentTreeBuilder()
        offset = 0
        for size in [100, 2 * 496 + 5, 3, 3 * 496, 500] where offset < content.count {
            let end = min(offset + size, content.count)
            try await concurrent.appendConcurrently(content[offset..<end], taskCount: 2)
            offset = end
        }
        try await concurrent.appendConcurrently(content[offset...])
        #expect(try concurrent.finish() == oneShot)
        #expect(try await CommitmentTree.sealConcurrently(content: content) == oneShot)
        #expect(try await CommitmentTree.sealConcurrently(content: content, taskCount: 3) == oneShot)
        #expect(try await CommitmentTree.sealConcurrently(content: [9], taskCount: 2) == (try CommitmentTree(content: [9])))
    }

    @Test("every chunk's sibling path leads back to the root")
    func siblingPaths() throws {
        let tree = try StorageProofFixtures.tree.get()
        #expect(tree.chunkCount == 70)
        // Every digit position at levels 0–2, both blocks, the short last chunk.
        for index: UInt64 in [0, 1, 2, 3, 4, 7, 16, 33, 48, 63, 64, 67, 69] {
            #expect(try StorageProofFixtures.opening(index).recomputeRoot() == tree.root, "chunk \(index)")
        }
        #expect(throws: StorageProofError.chunkIndexOutOfRange(index: 70, chunkCount: 70)) {
            try tree.siblings(ofChunk: 70)
        }
        #expect(throws: StorageProofError.chunkDoesNotMatchLeaf(index: 1)) {
            try tree.opening(ofChunk: 1, bytes: seventyChunks[0..<496])
        }
    }

    @Test("serialization round-trips and rejects corrupted, truncated or padded input")
    func serialization() throws {
        let tree = try CommitmentTree(content: storageTestBytes(9 * 496 + 1, seed: 5))
        let bytes = tree.serialized()
        let nodeCount = 10 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1
        #expect(bytes.count == 20 + 32 * nodeCount + 32)
        #expect(Array(bytes[0..<8]) == [0x50, 0x4b, 0x43, 0x54, 1, 4, 10, 0])
        #expect(try CommitmentTree(serialized: bytes) == tree)
        #expect(try CommitmentTree(serialized: bytes, check: .checksumOnly) == tree)

        func rejects(_ failure: TreeDecodingFailure, _ input: [UInt8], check: CommitmentTree.DecodingCheck = .recomputeNodes,
                     sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: StorageProofError.malformedTree(failure), sourceLocation: sourceLocation) {
                try CommitmentTree(serialized: input, check: check)
            }
        }
        /// Re-seals a body with a valid checksum, to reach the checks behind it.
        func resealed(_ input: [UInt8]) -> [UInt8] {
            let body = Array(input.dropLast(32))
            return body + CommitmentTree.checksum(body[...])
        }
        rejects(.truncated, Array(bytes.dropLast()))
        rejects(.truncated, Array(bytes.prefix(40)))
        rejects(.trailingBytes, bytes + [0])
        var flipped = bytes
        flipped[100] ^= 1
        rejects(.checksumMismatch, flipped)
        var magic = bytes
        magic[0] = 0x51
        rejects(.badMagic, magic)
        var version = bytes
        version[4] = 2
        rejects(.unsupportedVersion(2), version)
        var depth = bytes
        depth[6] = 11
        rejects(.unsupportedShape(depth: 11, arity: 4), depth)
        var counts = bytes
        counts[19] += 1
        rejects(.inconsistentCounts, resealed(counts))
        // A changed leaf with a valid checksum: its parent no longer matches.
        var leaf = bytes
        leaf[20 + 31] ^= 1
        rejects(.nodeMismatch(level: 1, position: 0), resealed(leaf))
        #expect(throws: Never.self) { try CommitmentTree(serialized: resealed(leaf), check: .checksumOnly) }
        // A forged root with a valid checksum.
        var root = bytes
        root[bytes.count - 33] ^= 1
        rejects(.nodeMismatch(level: 10, position: 0), resealed(root))
        // A node ≥ r.
        var nonCanonical = bytes
        for offset in (20 + 32 * 3)..<(20 + 32 * 4) { nonCanonical[offset] = 0xff }
        rejects(.nonCanonicalNode(level: 0, position: 3), resealed(nonCanonical))
    }
}

// MARK: - Challenges

@Suite("Storage proofs: challenge derivation")
struct StorageChallengeTests {
    private let beacon = Array("pakit-beacon-0001".utf8)

    @Test("indices match an independent SHA-256 computation of the documented layout")
    func pinnedVector() throws {
        // Computed with Python's hashlib from the layout in StorageChallenge's documentation.
        let root = Fr(12345)
        #expect(try StorageChallenge.blocks(beacon: beacon, root: root, chunkCount: 1000, count: 5) == [4, 9, 2, 14, 3])
        #expect(try StorageChallenge.chunkIndices(beacon: beacon, root: root, chunkCount: 1000, count: 5)
            == [287, 594, 141, 931, 240])
        #expect(try StorageChallenge.chunkIndex(beacon: beacon, root: root, chunkCount: 1000, block: 15, counter: 0) == 986)
        #expect(try StorageChallenge.chunkIndex(beacon: beacon, root: root, chunkCount: 1000, block: 15, counter: 7) == 968)
        // Two blocks, five challenges: repeats allowed, each repeat with the next counter.
        #expect(try StorageChallenge.blocks(beacon: beacon, root: root, chunkCount: 100, count: 5) == [0, 1, 0, 0, 1])
        #expect(try StorageChallenge.chunkIndices(beacon: beacon, root: root, chunkCount: 100, count: 5)
            == [35, 66, 49, 58, 95])
    }

    @Test("derivation is deterministic, in range, and picks distinct blocks when it can")
    func rangeAndDistinctness() throws {
        let root = Fr(987_654_321)
        let chunkCount = 64 * 150 + 5
        let first = try StorageChallenge.chunkIndices(beacon: beacon, root: root, chunkCount: chunkCount, count: 100)
        #expect(first == (try StorageChallenge.chunkIndices(beacon: beacon, root: root, chunkCount: chunkCount, count: 100)))
        #expect(first.allSatisfy { $0 < UInt64(chunkCount) })
        let blocks = try StorageChallenge.blocks(beacon: beacon, root: root, chunkCount: chunkCount, count: 100)
        #expect(Set(blocks).count == 100)
        #expect(zip(first, blocks).allSatisfy { $0 / 64 == $1 })
        // Exactly as many blocks as challenges: every block once.
        #expect(Set(try StorageChallenge.blocks(beacon: beacon, root: root, chunkCount: 64 * 20, count: 20)).count == 20)
        let other = try StorageChallenge.chunkIndices(beacon: [0], root: root, chunkCount: chunkCount, count: 100)
        #expect(other != first)
    }

    @Test("the short last block only yields its own chunks")
    func shortLastBlock() throws {
        let chunkCount = 64 * 3 + 5
        #expect(StorageChallenge.blockCount(chunkCount: chunkCount) == 4)
        #expect(StorageChallenge.chunksInBlock(3, chunkCount: chunkCount) == 5)
        #expect(StorageChallenge.chunksInBlock(2, chunkCount: chunkCount) == 64)
        #expect(StorageChallenge.chunksInBlock(4, chunkCount: chunkCount) == 0)
        var seen = Set<UInt64>()
        for counter in 0..<UInt32(64) {
            let index = try StorageChallenge.chunkIndex(beacon: beacon, root: .one, chunkCount: chunkCount, block: 3, counter: counter)
            #expect((192..<197).contains(index))
            seen.insert(index)
        }
        #expect(seen.count == 5)
        #expect(throws: StorageProofError.chunkIndexOutOfRange(index: 256, chunkCount: chunkCount)) {
            try StorageChallenge.chunkIndex(beacon: beacon, root: .one, chunkCount: chunkCount, block: 4, counter: 0)
        }
    }

    @Test("bad beacons, counts and tree sizes are typed errors")
    func invalidRequests() {
        #expect(throws: StorageProofError.invalidBeaconLength(0)) {
            try StorageChallenge.chunkIndices(beacon: [], root: .one, chunkCount: 10, count: 1)
        }
        #expect(throws: StorageProofError.invalidBeaconLength(1025)) {
            try StorageChallenge.chunkIndices(beacon: [UInt8](repeating: 1, count: 1025), root: .one, chunkCount: 10, count: 1)
        }
        #expect(throws: StorageProofError.invalidChallengeCount(0)) {
            try StorageChallenge.chunkIndices(beacon: [1], root: .one, chunkCount: 10, count: 0)
        }
        #expect(throws: StorageProofError.invalidChunkCount(0)) {
            try StorageChallenge.chunkIndices(beacon: [1], root: .one, chunkCount: 0, count: 1)
        }
        #expect(throws: StorageProofError.invalidChunkCount((1 << 20) + 1)) {
            try StorageChallenge.chunkIndices(beacon: [1], root: .one, chunkCount: (1 << 20) + 1, count: 1)
        }
    }
}

// MARK: - Circuits

@Suite("Storage proofs: circuits")
struct StorageCircuitTests {
    @Test("single-chunk circuit: honest witness satisfies 3,651 constraints, public inputs [R, i]")
    func singleHonest() throws {
        let tree = try StorageProofFixtures.tree.get()
        let (_, cs) = try StorageProofFixtures.single.get()
        #expect(cs.isSatisfied())
        #expect(cs.constraintCount == 3_651)
        #expect(cs.constraintCount == SingleChunkCircuit.constraintCount)
        #expect(cs.constraintCount <= 4_096 - 3)
        #expect(SingleChunkCircuit().domainSize == 4_096)
        #expect(cs.publicValues == (try SingleChunkCircuit.publicInputs(root: tree.root, chunkIndex: 67)))
        #expect(cs.publicValues == [tree.root, Fr(67)])
        // Data-independent structure: the setup yields the very same constraints.
        let setup = try SingleChunkCircuit().synthesizeForSetup()
        #expect(setup.constraints == cs.constraints)
        #expect(setup.witnessCount == cs.witnessCount)
        #expect(throws: StorageProofError.chunkIndexTooLarge(1 << 20)) {
            try SingleChunkCircuit.publicInputs(root: .one, chunkIndex: 1 << 20)
        }
    }

    @Test("single-chunk circuit: wrong chunk, sibling, index or root is unsatisfied")
    func singleTampered() throws {
        let tree = try StorageProofFixtures.tree.get()
        let (witness, cs) = try StorageProofFixtures.single.get()
        let opening = witness.opening
        var elements = opening.elements
        elements[5] += .one
        let wrongChunk = try SingleChunkCircuit.synthesize(SingleChunkWitness(
            root: tree.root, opening: try ChunkOpening(index: 67, elements: elements, siblings: opening.siblings)))
        #expect(!wrongChunk.isSatisfied())
        #expect(wrongChunk.constraints == cs.constraints)  // other data, same circuit

        var siblings = opening.siblings
        siblings[6][1] += .one
        let wrongSibling = SingleChunkWitness(
            root: tree.root, opening: try ChunkOpening(index: 67, elements: opening.elements, siblings: siblings))
        #expect(!(try SingleChunkCircuit.synthesize(wrongSibling)).isSatisfied())

        // The same data and path claimed at a neighbouring index (other digit at level 0).
        let wrongIndex = SingleChunkWitness(
            root: tree.root, opening: try ChunkOpening(index: 66, elements: opening.elements, siblings: opening.siblings))
        #expect(!(try SingleChunkCircuit.synthesize(wrongIndex)).isSatisfied())

        // R is read only by the final equality, so substituting it is the same as re-synthesising.
        var wrongRoot = cs.assignment
        wrongRoot[1] = tree.root + .one
        #expect(!cs.isSatisfied(by: wrongRoot))
        // Claiming another public index for an otherwise honest assignment breaks it too.
        var otherIndex = cs.assignment
        otherIndex[2] = Fr(67 + 1024)
        #expect(!cs.isSatisfied(by: otherIndex))
    }

    @Test("single-chunk circuit: no free witness, and every variable is pinned")
    func singleAudit() throws {
        let (_, cs) = try StorageProofFixtures.single.get()
        #expect(cs.isSatisfied())
        #expect(cs.unconstrainedWitnesses().isEmpty)
        // Public inputs and witnesses alike (flat index 1 on).
        let unpinned = try unpinnedVariables(cs, from: 1)
        #expect(unpinned.isEmpty, "variables no constraint pins: \(unpinned.prefix(10))")
    }

    @Test("ChunkOpening validates its shape")
    func openingValidation() {
        let elements = [Fr](repeating: .zero, count: 16)
        let siblings = [[Fr]](repeating: [.zero, .zero, .zero], count: 10)
        #expect(throws: StorageProofError.chunkIndexTooLarge(1 << 20)) {
            try ChunkOpening(index: 1 << 20, elements: elements, siblings: siblings)
        }
        #expect(throws: StorageProofError.wrongElementCount(expected: 16, actual: 15)) {
            try ChunkOpening(index: 0, elements: Array(elements.dropLast()), siblings: siblings)
        }
        #expect(throws: StorageProofError.wrongSiblingShape) {
            try ChunkOpening(index: 0, elements: elements, siblings: Array(siblings.dropLast()))
        }
        #expect(throws: StorageProofError.wrongSiblingShape) {
            try ChunkOpening(index: 0, elements: elements, siblings: siblings.dropLast() + [[.zero, .zero]])
        }
    }

    @Test("index packing: 12 per element at 20-bit offsets")
    func packing() throws {
        let packed = try BatchChunkCircuit.packIndices([1, 2, 3])
        #expect(packed == [Fr(1) + Fr(2) * Fr(1 << 20) + Fr(3) * Fr(1 << 40)])
        let thirteen = (0..<13).map { UInt64($0) * 80_001 + 5 }
        let two = try BatchChunkCircuit.packIndices(thirteen)
        #expect(two.count == 2)
        var expected = Fr.zero
        for index in thirteen[0..<12].reversed() { expected = expected * Fr(1 << 20) + Fr(index) }
        #expect(two[0] == expected)
        #expect(two[1] == Fr(thirteen[12]))
        #expect(throws: StorageProofError.chunkIndexTooLarge(1 << 20)) { try BatchChunkCircuit.packIndices([1 << 20]) }
        let circuit = try BatchChunkCircuit(count: 3)
        #expect(throws: StorageProofError.wrongChallengeCount(expected: 3, actual: 2)) {
            try circuit.publicInputs(root: .one, chunkIndices: [1, 2])
        }
        #expect(throws: StorageProofError.invalidBatchSize(0)) { try BatchChunkCircuit(count: 0) }
    }

    @Test("batch constraint counts: 3,650·n + ⌈n/12⌉")
    func batchCounts() throws {
        #expect(try BatchChunkCircuit(count: 1).constraintCount == 3_651)
        #expect(try BatchChunkCircuit(count: 2).constraintCount == 7_301)
        #expect(try BatchChunkCircuit(count: 3).constraintCount == 10_951)
        #expect(try BatchChunkCircuit(count: 100).constraintCount == 365_009)
        #expect(try BatchChunkCircuit(count: 100).publicInputCount == 10)
        #expect(try BatchChunkCircuit(count: 100).domainSize == 1 << 19)
        #expect(try BatchChunkCircuit(count: 13).publicInputCount == 3)
        // Synthesised counts are checked against this formula in the batch-of-two test.
    }

    @Test("batch of 2: honest witness satisfied; a changed index or padding bit is not")
    func batchOfTwo() throws {
        let tree = try StorageProofFixtures.tree.get()
        let indices: [UInt64] = [5, 64]
        let openings = try indices.map { try StorageProofFixtures.opening($0) }
        let circuit = try BatchChunkCircuit(count: 2)
        let cs = try circuit.synthesize(BatchChunkWitness(root: tree.root, openings: openings))
        #expect(cs.isSatisfied())
        #expect(cs.constraintCount == circuit.constraintCount)
        #expect(cs.constraintCount == 7_301)
        #expect(cs.publicValues == (try circuit.publicInputs(root: tree.root, chunkIndices: indices)))
        #expect(cs.publicValues == [tree.root, Fr(5 + 64 << 20)])
        #expect(cs.unconstrainedWitnesses().isEmpty)

        var otherIndex = cs.assignment
        otherIndex[2] += Fr(1 << 20)        // challenge 1 now claims chunk 65
        #expect(!cs.isSatisfied(by: otherIndex))
        var paddingBit = cs.assignment
        paddingBit[2] += Fr(1 << 40)        // slot 2 of the packed input does not exist for n = 2
        #expect(!cs.isSatisfied(by: paddingBit))
        var otherRoot = cs.assignment
        otherRoot[1] += .one
        #expect(!cs.isSatisfied(by: otherRoot))
        #expect(throws: StorageProofError.wrongChallengeCount(expected: 2, actual: 1)) {
            try circuit.synthesize(BatchChunkWitness(root: tree.root, openings: Array(openings.prefix(1))))
        }
    }
}
