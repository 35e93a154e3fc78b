import PakitCore
import PakitSQL

/// The write side shared by file ingest, CAR import, block PUT and directories: protects
/// blocks from GC, stages new ones, flushes in groups, and commits their rows.
///
/// Blocks from clients (`source: .client`) are checked before anything is committed: only
/// raw and dag-pb (the codecs whose links GC and pins can follow), nodes within `DAGLimits`,
/// and every UnixFS file node's child that is in this write or already stored must hold
/// exactly the bytes the node claims for it (read paths check the rest as they go).
struct BlockWriteSession {
    /// Where the blocks come from: this node's own DAG builder, or a client.
    enum Source {
        case builder
        case client
    }

    let blockStore: BlockStore
    let lease: ProtectionLease
    let groupBytes: Int
    let source: Source
    private var staged: [StagedBlock] = []
    private var stagedBytes = 0
    /// The previous group's flush, overlapping with staging of the next group.
    private var pendingFlush: Task<Void, any Error>?
    private var flushingGroup: [StagedBlock] = []
    /// Rows not yet committed (`commitRows` empties them).
    private(set) var records: [BlockRecord] = []
    private(set) var links: [(parent: CID, child: CID)] = []
    /// Every block added, so each is written once.
    private(set) var seen: Set<CID> = []
    /// Blocks added over the whole session (rows committed in batches included).
    private(set) var blockCount = 0
    /// Client blocks only: file bytes under each raw block or UnixFS file node added, and what
    /// file nodes claim for their children, compared in `verifyFileSizes`.
    private var fileBytes: [CID: UInt64] = [:]
    private var claims: [(parent: CID, child: CID, bytes: UInt64)] = []
    /// Blocks being compressed and written while the caller hashes the next chunk: both cores
    /// work on an upload. A small window keeps memory bounded (a few chunks).
    private var staging: [Task<StagedBlock, any Error>] = []
    static let stagingWindow = 4

    init(blockStore: BlockStore, guardian: BlockGuard, groupBytes: Int = 32 << 20, source: Source = .client) {
        self.blockStore = blockStore
        self.lease = ProtectionLease(guardian)
        self.groupBytes = groupBytes
        self.source = source
    }

    /// Rows waiting for `commitRows`.
    var uncommittedRows: Int { records.count + staging.count }

    /// Adds a block whose bytes are known to hash to its CID.
    mutating func add(_ block: Block) async throws {
        let key = block.cid.v1
        guard seen.insert(key).inserted else { return }
        blockCount += 1
        switch block.cid.codec {
        case .raw:
            if source == .client { fileBytes[key] = UInt64(block.bytes.count) }
        case .dagPB:
            let node: DecodedNode
            do { node = try DecodedNode(cid: block.cid, block: block.bytes) } catch {
                throw StorageError.invalidContent("block \(block.cid) is not valid dag-pb: \(error.message)")
            }
            for child in node.links { links.append((block.cid, child)) }
            if source == .client, case .file(_, let children, let filesize) = node {
                fileBytes[key] = filesize
                for child in children { claims.append((key, child.cid, child.fileBytes)) }
            }
        case .dagCBOR, .dagJSON:
            throw StorageError.invalidContent(
                "\(block.cid.codec.name) blocks are not stored: only raw and dag-pb, whose links pins and GC follow")
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

    /// Client blocks: every file node's child that is in this write or already stored holds
    /// exactly the bytes its parent claims; children absent here are checked when read.
    /// Stored raw children are sized from their rows (one batched query); only stored dag-pb
    /// children are read.
    func verifyFileSizes(metadata: MetadataStore) async throws {
        let storedRaw = claims.map(\.child).filter { $0.codec == .raw && fileBytes[$0.v1] == nil && $0.multihash.code != Multihash.identity }
        for cid in storedRaw { await lease.protect(cid) }
        let rawSizes = try await metadata.blockSizes(of: storedRaw)
        for claim in claims {
            let actual: UInt64?
            if let inWrite = fileBytes[claim.child.v1] {
                actual = inWrite
            } else if claim.child.multihash.code == Multihash.identity {
                actual = (try? DecodedNode(cid: claim.child, block: claim.child.multihash.digest))?.fileSize
            } else if claim.child.codec == .raw {
                guard let size = rawSizes[claim.child.v1] else { continue }
                actual = size
            } else {
                await lease.protect(claim.child)
                guard let bytes = try await blockStore.read(claim.child) else { continue }
                actual = (try? DecodedNode(cid: claim.child, block: bytes))?.fileSize
            }
            guard actual == claim.bytes else {
                let found = actual.map { "holds \($0)" } ?? "is not file content"
                throw StorageError.invalidContent(
                    "file node \(claim.parent) claims \(claim.bytes) bytes under \(claim.child), which \(found)")
            }
        }
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

    /// Makes the blocks added so far durable, then commits their rows, links and `extra` in
    /// one transaction. Protection stays until `commit` or `abort`, so a long write can commit
    /// in batches (no transaction of millions of rows holding the writer lock).
    mutating func commitRows(metadata: MetadataStore, extra: @escaping @Sendable (any SQLExecutor) async throws -> Void = { _ in }) async throws {
        try await collectStaged(keeping: 0)
        try await flush()
        try await waitForPendingFlush()
        let records = self.records
        let links = self.links
        try await metadata.database.transaction { tx in
            try await MetadataStore.insertBlocks(records, links: links, in: tx)
            try await extra(tx)
        }
        self.records = []
        self.links = []
    }

    /// Commits the remaining rows with `extra`, then ends GC protection.
    mutating func commit(metadata: MetadataStore, extra: @escaping @Sendable (any SQLExecutor) async throws -> Void) async throws {
        if source == .client { try await verifyFileSizes(metadata: metadata) }
        try await commitRows(metadata: metadata, extra: extra)
        lease.release()
    }

    /// Drops what is not yet durable. A group still flushing finishes first (its renamed
    /// files then have no rows: GC collects them). Rows already committed in batches stay,
    /// unpinned, until the next GC.
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
