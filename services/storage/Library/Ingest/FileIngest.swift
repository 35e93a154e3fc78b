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
        var session = BlockWriteSession(blockStore: blockStore, guardian: guardian, groupBytes: groupBytes)
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
                if pin { try await MetadataStore.pin(result.root, name: name, in: tx) }
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

/// The write side shared by file ingest, CAR import, block PUT and directories: protects
/// blocks from GC, stages new ones, flushes in groups, and commits all rows at the end.
struct BlockWriteSession {
    let blockStore: BlockStore
    let lease: ProtectionLease
    let groupBytes: Int
    private var staged: [StagedBlock] = []
    private var stagedBytes = 0
    /// The previous group's flush, overlapping with staging of the next group.
    private var pendingFlush: Task<Void, any Error>?
    private var flushingGroup: [StagedBlock] = []
    private(set) var records: [BlockRecord] = []
    private(set) var links: [(parent: CID, child: CID)] = []
    private var seen: Set<CID> = []
    /// Blocks being compressed and written while the caller hashes the next chunk: both cores
    /// work on an upload. A small window keeps memory bounded (a few chunks).
    private var staging: [Task<StagedBlock, any Error>] = []
    static let stagingWindow = 4

    init(blockStore: BlockStore, guardian: BlockGuard, groupBytes: Int = 32 << 20) {
        self.blockStore = blockStore
        self.lease = ProtectionLease(guardian)
        self.groupBytes = groupBytes
    }

    var blockCount: Int { records.count }

    /// Adds a block whose bytes are known to hash to its CID.
    mutating func add(_ block: Block) async throws {
        let key = block.cid.v1
        guard seen.insert(key).inserted else { return }
        if block.cid.codec == .dagPB {
            let node: DecodedNode
            do { node = try DecodedNode(cid: block.cid, block: block.bytes) } catch {
                throw StorageError.invalidContent("block \(block.cid) is not valid dag-pb: \(error.message)")
            }
            for child in node.links { links.append((block.cid, child)) }
        }
        await lease.protect(block.cid)
        if let stored = await blockStore.storedInfo(block.cid) {
            records.append(BlockRecord(cid: block.cid, size: block.bytes.count, storedSize: stored.storedSize, encoding: stored.encoding))
            StorageMetrics.blocksDeduplicated.increment()
            return
        }
        let blockStore = self.blockStore
        staging.append(Task.detached { try await blockStore.stage(block) })
        try await collectStaged(keeping: Self.stagingWindow - 1)
    }

    /// Takes finished writes off the window (oldest first) until at most `keeping` remain,
    /// and starts a group flush once enough bytes are staged.
    private mutating func collectStaged(keeping: Int) async throws {
        while staging.count > keeping {
            let stagedBlock = try await staging.removeFirst().value
            staged.append(stagedBlock)
            StorageMetrics.blocksWritten.increment()
            stagedBytes += stagedBlock.storedSize
            records.append(BlockRecord(cid: stagedBlock.cid, size: stagedBlock.size, storedSize: stagedBlock.storedSize,
                                       encoding: stagedBlock.encoding))
        }
        if stagedBytes >= groupBytes { try await flush() }
    }

    /// Protects an already stored block this write refers to (GC must keep it until commit).
    func protectExisting(_ cid: CID) async {
        await lease.protect(cid)
    }

    /// Starts making the staged group durable in the background, after the previous group
    /// finished: hashing and writing the next group overlaps with this one's flushes.
    mutating func flush() async throws {
        try await waitForPendingFlush()
        let group = staged
        staged = []
        stagedBytes = 0
        let blockStore = self.blockStore
        flushingGroup = group
        pendingFlush = Task { try await blockStore.commit(group) }
    }

    private mutating func waitForPendingFlush() async throws {
        if let pending = pendingFlush {
            pendingFlush = nil
            try await pending.value
            flushingGroup = []
        }
    }

    /// Makes remaining blocks durable, then commits block rows, links and `extra` in one transaction.
    mutating func commit(metadata: MetadataStore, extra: @escaping @Sendable (any SQLExecutor) async throws -> Void) async throws {
        try await collectStaged(keeping: 0)
        try await flush()
        try await waitForPendingFlush()
        let records = self.records
        let links = self.links
        try await metadata.database.transaction { tx in
            try await MetadataStore.insertBlocks(records, links: links, in: tx)
            try await extra(tx)
        }
        lease.release()
    }

    /// Drops what is not yet durable. A group still flushing finishes first (its renamed
    /// files then have no rows: GC collects them).
    mutating func abort() async {
        for task in staging {
            if let stagedBlock = try? await task.value { staged.append(stagedBlock) }
        }
        staging = []
        if let pending = pendingFlush { _ = try? await pending.value }
        pendingFlush = nil
        await blockStore.discard(staged + flushingGroup)
        flushingGroup = []
        lease.release()
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
