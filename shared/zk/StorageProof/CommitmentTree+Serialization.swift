import Crypto

/// A versioned binary form of a commitment tree, so sealing (the expensive part) happens once
/// and the prover reloads the tree to answer challenges.
///
/// Layout, version 1 (integers big-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic "PKCT" |
/// | 4 | 1 | version = 1 |
/// | 5 | 1 | arity = 4 |
/// | 6 | 1 | depth = 10 |
/// | 7 | 1 | reserved = 0 |
/// | 8 | 8 | byteCount (1 … 520,093,696) |
/// | 16 | 4 | chunkCount = ⌈byteCount / 496⌉ |
/// | 20 | 32·N | levels 0 (leaves) … 10 (root), each its occupied prefix (see below) |
/// | end − 32 | 32 | SHA-256 of every preceding byte |
///
/// Level k holds n_k nodes, n₀ = chunkCount and n_{k+1} = ⌈n_k / 4⌉ (so n₁₀ = 1, the root);
/// N = Σ n_k. Every node is its standard-form value as 32 big-endian bytes (never Montgomery).
///
/// The checksum catches storage corruption cheaply; the default decoding additionally
/// recomputes every internal node from the leaves (≈ 5% of the sealing cost), so a tree from
/// an untrusted source cannot carry a root that its leaves do not produce. Leaves cannot be
/// checked without the data; `opening(ofChunk:bytes:)` checks each one it uses.
extension CommitmentTree {
    /// The four magic bytes, ASCII "PKCT".
    public static let serializationMagic: [UInt8] = Array("PKCT".utf8)
    /// The format version written and read.
    public static let serializationVersion: UInt8 = 1
    /// Header length in bytes.
    static let headerByteCount = 20
    /// Checksum length in bytes.
    static let checksumByteCount = 32

    /// How much of a decoded tree is re-verified.
    public enum DecodingCheck: Sendable {
        /// Checksum, canonical encodings, and every internal node recomputed from the leaves.
        case recomputeNodes
        /// Checksum and canonical encodings only: for trees this service wrote itself.
        case checksumOnly
    }

    /// The version-1 encoding (see the extension's documentation).
    public func serialized() -> [UInt8] {
        let nodeCount = levels.reduce(0) { $0 + $1.count }
        let total = Self.headerByteCount + 32 * nodeCount + Self.checksumByteCount
        var bytes = [UInt8]()
        bytes.reserveCapacity(total)
        bytes += Self.serializationMagic
        bytes += [Self.serializationVersion, UInt8(StorageProofParameters.treeArity),
                  UInt8(StorageProofParameters.treeDepth), 0]
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: UInt64(byteCount) >> UInt64(56 - 8 * $0)) }
        bytes += (0..<4).map { UInt8(truncatingIfNeeded: UInt32(chunkCount) >> UInt32(24 - 8 * $0)) }
        let nodesStart = bytes.count
        bytes += repeatElement(0, count: 32 * nodeCount)
        bytes.withUnsafeMutableBytes { raw in
            var offset = nodesStart
            for level in levels {
                for node in level {
                    let value = node.standardValue
                    raw.storeBytes(of: value.l3.bigEndian, toByteOffset: offset, as: UInt64.self)
                    raw.storeBytes(of: value.l2.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
                    raw.storeBytes(of: value.l1.bigEndian, toByteOffset: offset + 16, as: UInt64.self)
                    raw.storeBytes(of: value.l0.bigEndian, toByteOffset: offset + 24, as: UInt64.self)
                    offset += 32
                }
            }
        }
        bytes += Self.checksum(bytes[...])
        return bytes
    }

    /// Decodes and validates a version-1 encoding: header fields, exact length (no trailing
    /// bytes), checksum, canonical nodes, and with `.recomputeNodes` every internal node.
    public init(serialized bytes: [UInt8], check: DecodingCheck = .recomputeNodes) throws(StorageProofError) {
        guard bytes.count >= Self.headerByteCount + Self.checksumByteCount else { throw .malformedTree(.truncated) }
        guard Array(bytes[0..<4]) == Self.serializationMagic else { throw .malformedTree(.badMagic) }
        guard bytes[4] == Self.serializationVersion else { throw .malformedTree(.unsupportedVersion(bytes[4])) }
        guard bytes[5] == StorageProofParameters.treeArity, bytes[6] == StorageProofParameters.treeDepth,
              bytes[7] == 0
        else {
            throw .malformedTree(.unsupportedShape(depth: bytes[6], arity: bytes[5]))
        }
        let byteCount = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let chunkCount = bytes[16..<20].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard (1...UInt64(StorageProofParameters.byteCapacity)).contains(byteCount),
              chunkCount == UInt64(ChunkEncoding.chunkCount(forByteCount: Int(byteCount)))
        else { throw .malformedTree(.inconsistentCounts) }

        var counts = [Int(chunkCount)]
        for _ in 0..<StorageProofParameters.treeDepth { counts.append((counts[counts.count - 1] + 3) / 4) }
        let expected = Self.headerByteCount + 32 * counts.reduce(0, +) + Self.checksumByteCount
        guard bytes.count >= expected else { throw .malformedTree(.truncated) }
        guard bytes.count == expected else { throw .malformedTree(.trailingBytes) }
        let body = expected - Self.checksumByteCount
        guard Self.checksum(bytes[..<body]) == Array(bytes[body...]) else { throw .malformedTree(.checksumMismatch) }

        var levels: [[Fr]] = []
        var offset = Self.headerByteCount
        for (level, count) in counts.enumerated() {
            var nodes = [Fr]()
            nodes.reserveCapacity(count)
            for position in 0..<count {
                guard let node = Self.node(in: bytes, at: offset) else {
                    throw .malformedTree(.nonCanonicalNode(level: level, position: position))
                }
                nodes.append(node)
                offset += 32
            }
            levels.append(nodes)
        }
        if check == .recomputeNodes {
            let recomputed = Self.levels(over: levels[0])
            for level in 1..<levels.count {
                if let position = levels[level].indices.first(where: { levels[level][$0] != recomputed[level][$0] }) {
                    throw .malformedTree(.nodeMismatch(level: level, position: position))
                }
            }
        }
        self.init(byteCount: Int(byteCount), levels: levels)
    }

    /// SHA-256 of `bytes`, as the trailer stores it.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }

    /// The canonical element whose 32 big-endian bytes start at `offset`, or nil if ≥ r.
    private static func node(in bytes: [UInt8], at offset: Int) -> Fr? {
        bytes.withUnsafeBytes { raw in
            func word(_ index: Int) -> UInt64 {
                UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * index, as: UInt64.self))
            }
            return Fr(UInt256(word(3), word(2), word(1), word(0)))
        }
    }
}
