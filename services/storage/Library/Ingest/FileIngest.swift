import Logging
import NIOCore
import PakitContracts
import PakitCore
import PakitSQL

/// Streams one upload into blocks: chunk → leaf block → (compress) → staged file, internal
/// DAG nodes as they complete, the BLAKE2 Merkle leaves as it goes. Staged files become
/// durable in groups (one shared flush per group), and the metadata of the whole file is
/// committed in one transaction at the end, so a failed or rejected upload leaves no trace
/// in the API's view. Memory: one chunk plus a list of small block records.
struct FileIngest {
    let blockStore: BlockStore
    let metadata: MetadataStore
    let guardian: BlockGuard
    /// Staged bytes after which a group is made durable.
    var groupBytes = 64 << 20
    /// The replication factor an upload's pin gets (the node's `replication-factor`).
    var defaultReplicas = 1

    func ingest<Body: AsyncSequence & Sendable>(
        body: Body, profile: ChunkingProfile, name: String?, pin: Bool, maxBytes: Int64
    ) async throws -> FileAddResponse where Body.Element == ByteBuffer {
        // Chunking, the SHA-256 of every block and the BLAKE2 leaves are CPU work done per
        // chunk as the body arrives: the whole loop runs on the compute threads (block writes
        // hop to the blocking-I/O threads inside `BlockWriteSession`).
        try await blockStore.executors.compute.run {
            try await ingestHere(body: body, profile: profile, name: name, pin: pin, maxBytes: maxBytes)
        }
    }

    private func ingestHere<Body: AsyncSequence & Sendable>(
        body: Body, profile: ChunkingProfile, name: String?, pin: Bool, maxBytes: Int64
    ) async throws -> FileAddResponse where Body.Element == ByteBuffer {
        var session = BlockWriteSession(blockStore: blockStore, guardian: guardian, groupBytes: groupBytes, source: .builder)
        do {
            var chunker = try profile.makeChunker()
            var builder = FileDAGBuilder(layout: profile.layout)
            var leafHashes: [UInt8] = []
            var total: Int64 = 0
            func accept(_ chunk: [UInt8]) async throws {
                let leaf = builder.addChunk(chunk)
                leafHashes += BinaryMerkleTree.leafHash(leaf.cid.bytes)
                try await session.add(leaf)
                for node in builder.takeCompletedNodes() { try await session.add(node) }
            }
            for try await buffer in body {
                total += Int64(buffer.readableBytes)
                StorageMetrics.ingestedBytes.increment(by: buffer.readableBytes)
                if total > maxBytes { throw StorageError.tooLarge("upload exceeds the configured limit of \(maxBytes) bytes") }
                for chunk in chunker.push(Array(buffer.readableBytesView)) { try await accept(chunk) }
            }
            if let last = chunker.finish() { try await accept(last) }
            let result = builder.finish()
            for node in result.blocks { try await session.add(node) }
            if result.leafCount == 0 { leafHashes = BinaryMerkleTree.leafHash(result.root.bytes) }
            let leaves = leafHashes.chunked32()
            let tree = BinaryMerkleTree(leafHashes: leaves)
            let file = FileRecord(root: result.root, name: name, size: result.fileSize, profile: profile.rawValue,
                                  leaves: leaves.count, blake2Root: tree.root, merkleLeaves: leafHashes)
            try await session.commit(metadata: metadata) { tx in
                try await MetadataStore.recordFile(file, in: tx)
                if pin { try await MetadataStore.pin(result.root, name: name, replicas: nil, defaultReplicas: defaultReplicas, in: tx) }
            }
            return FileAddResponse(cid: result.root.string, size: result.fileSize, blocks: session.blockCount,
                                   leaves: leaves.count, blake2Root: tree.root.hex, profile: profile.rawValue,
                                   name: name, pinned: pin)
        } catch {
            await session.abort()
            throw error
        }
    }
}

extension [UInt8] {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    func chunked32() -> [[UInt8]] {
        stride(from: 0, to: count, by: 32).map { Array(self[$0..<Swift.min($0 + 32, count)]) }
    }
}
