import PakitCore

/// Where the bridge reads the blocks it serves and writes the blocks it fetched: this node's
/// storage (`StorageBlocks`, over storage's internal routes).
public protocol BlockSource: Sendable {
    /// The block if this node holds it locally, nil if it does not.
    func localBlock(_ cid: CID) async throws -> [UInt8]?
    /// Stores a block that was verified against its CID.
    func store(_ cid: CID, bytes: [UInt8]) async throws
    /// The roots this node pins (at most `limit`): what it announces to radio peers.
    func pinnedRoots(limit: Int) async throws -> [CID]
}
