import PakitContracts
import PakitCore

/// Online mark-and-sweep: marks every block reachable from a pin (a recursive query over the
/// links table), then deletes the rest one by one, row before file, skipping anything a write
/// in progress protected. Ingest and reads continue while it runs.
struct GarbageCollector {
    let metadata: MetadataStore
    let blockStore: BlockStore
    let guardian: BlockGuard

    func collect() async throws -> GCResponse {
        await guardian.collectionLock.lock()
        defer { guardian.collectionLock.unlock() }
        guardian.beginCollection()
        defer { guardian.endCollection() }
        let rows = try await metadata.database.read(
            """
            WITH RECURSIVE live(cid) AS (
                SELECT cid FROM pins
                UNION
                SELECT links.child FROM links JOIN live ON links.parent = live.cid
            )
            SELECT cid, stored_size FROM blocks WHERE cid NOT IN (SELECT cid FROM live)
            """)
        var removed: [String] = []
        var freed: UInt64 = 0
        for row in rows {
            let cid = try CID(bytes: try row.blob("cid"))
            await guardian.deletionLock.lock()
            defer { guardian.deletionLock.unlock() }
            guard guardian.mayDelete(cid) else { continue }
            try await metadata.database.transaction { tx in
                try await tx.query("DELETE FROM links WHERE parent = $1", [MetadataStore.key(cid)])
                try await tx.query("DELETE FROM files WHERE cid = $1", [MetadataStore.key(cid)])
                try await tx.query("DELETE FROM blocks WHERE cid = $1", [MetadataStore.key(cid)])
            }
            await blockStore.remove(cid)
            removed.append(cid.string)
            StorageMetrics.gcRemovedBlocks.increment()
            freed += UInt64(try row.int("stored_size"))
        }
        freed += try await Reconciler(metadata: metadata, blockStore: blockStore, guardian: guardian).removeOrphanFiles().freedBytes
        return GCResponse(removedBlocks: removed.count, freedBytes: freed, removedCIDs: removed)
    }
}

/// Reconciles the block store with the metadata. Block files with no row are leftovers of
/// writes that crashed or were rejected after their blocks became durable: nothing refers to
/// them, so they go (unless a write in progress protects them). Rows whose file is missing
/// cannot arise from our write protocol (rows are committed after the files); if the disk lost
/// files anyway they are reported, not silently dropped, since pins may still name them.
struct Reconciler {
    let metadata: MetadataStore
    let blockStore: BlockStore
    let guardian: BlockGuard

    func removeOrphanFiles() async throws -> (files: Int, freedBytes: UInt64) {
        let known = Set(try await metadata.database.read("SELECT cid FROM blocks").map { try CID(bytes: try $0.blob("cid")).v1.string })
        var removed = 0
        var freed: UInt64 = 0
        for name in await blockStore.allFileNames() where !known.contains(name) {
            guard let cid = try? CID(name) else { continue }
            await guardian.deletionLock.lock()
            defer { guardian.deletionLock.unlock() }
            guard guardian.mayDelete(cid), !(try await metadata.hasBlock(cid)) else { continue }
            if let info = await blockStore.storedInfo(cid) { freed += UInt64(info.storedSize) }
            await blockStore.remove(cid)
            removed += 1
        }
        return (removed, freed)
    }

    /// Rows whose block file is absent (no hashing: that is `RepositoryVerifier`'s job).
    func missingFiles() async throws -> [CID] {
        var missing: [CID] = []
        for row in try await metadata.database.read("SELECT cid FROM blocks") {
            let cid = try CID(bytes: try row.blob("cid"))
            if !(await blockStore.contains(cid)) { missing.append(cid) }
        }
        return missing
    }
}

/// `POST /v1/repo/verify`: every block row has a file that decodes and hashes to its CID.
struct RepositoryVerifier {
    let metadata: MetadataStore
    let blockStore: BlockStore

    func verify() async throws -> RepoVerifyResponse {
        let rows = try await metadata.database.read("SELECT cid FROM blocks")
        var missing: [String] = []
        var corrupt: [String] = []
        for row in rows {
            let cid = try CID(bytes: try row.blob("cid"))
            do {
                if try await blockStore.read(cid) == nil { missing.append(cid.string) }
            } catch {
                corrupt.append(cid.string)
            }
        }
        return RepoVerifyResponse(checked: rows.count, missing: missing, corrupt: corrupt)
    }
}
