import Foundation
import PakitContracts
import PakitTestSupport
import PakitCore
import PakitZK

/// Content, openings and requests built in-process with PakitZK, to compare with the service.
enum Fixture {
    /// Three full 64-chunk blocks and a short fourth one ending in a partial chunk.
    static let content = randomBytes(3 * StorageProofParameters.blockByteCount + 5 * 496 + 123, seed: 42)

    static func hex(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(bytes) }

    /// The bytes of chunk `index` as stored (the last one may be short).
    static func chunk(_ content: [UInt8], _ index: UInt64) -> ArraySlice<UInt8> {
        let start = Int(index) * StorageProofParameters.chunkByteCount
        return content[start..<min(start + StorageProofParameters.chunkByteCount, content.count)]
    }

    /// The API form of chunk `index`'s opening: its bytes and its siblings from `tree`.
    static func opening(_ tree: CommitmentTree, _ content: [UInt8], _ index: UInt64) throws -> ChunkOpeningBody {
        ChunkOpeningBody(index: index, chunk: hex(chunk(content, index)),
                         siblings: try tree.siblings(ofChunk: index).map { $0.map(\.decimalString) })
    }

    /// A request proving the chunks `indices` of `content` with `circuit`.
    static func request(_ circuit: String, _ tree: CommitmentTree, _ content: [UInt8], _ indices: [UInt64]) throws -> ProveRequest {
        ProveRequest(circuit: circuit, root: tree.root.decimalString, openings: try indices.map { try opening(tree, content, $0) })
    }

    /// Beacon-derived challenge indices, as storage derives them.
    static func challenge(_ tree: CommitmentTree, count: Int, beacon: String = "beacon-1") throws -> [UInt64] {
        try StorageChallenge.chunkIndices(beacon: Array(beacon.utf8), root: tree.root, chunkCount: tree.chunkCount, count: count)
    }
}
