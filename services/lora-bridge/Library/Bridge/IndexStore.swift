import PakitSQL

/// This node's announced index and the copies of its radio peers' indexes, so a restart neither
/// announces everything again nor asks every peer for a whole index.
struct IndexStore: Sendable {
    let database: any SQLDatabase
    /// The owner row of this node's own index (node numbers are never negative).
    static let ownOwner: Int64 = -1

    struct Saved: Sendable {
        var owner: Int64
        var sequence: UInt16
        var synced: Bool
        var index: LoRaIndex
    }

    /// Replaces an index in one transaction.
    func save(owner: Int64, sequence: UInt16, synced: Bool, index: LoRaIndex) async throws {
        try await database.transaction { executor in
            try await executor.query(
                """
                INSERT INTO lora_indexes (owner, sequence, synced) VALUES ($1, $2, $3)
                ON CONFLICT (owner) DO UPDATE SET sequence = excluded.sequence, synced = excluded.synced
                """, [.integer(owner), .integer(Int64(sequence)), .integer(synced ? 1 : 0)])
            try await executor.query("DELETE FROM lora_index_entries WHERE owner = $1", [.integer(owner)])
            for fingerprint in index.fingerprints {
                try await executor.query("INSERT INTO lora_index_entries (owner, fingerprint) VALUES ($1, $2)",
                                         [.integer(owner), .integer(Int64(fingerprint))])
            }
        }
    }

    func load() async throws -> [Saved] {
        var entries: [Int64: Set<UInt32>] = [:]
        for row in try await database.read("SELECT owner, fingerprint FROM lora_index_entries", []) {
            entries[try row.int("owner"), default: []].insert(UInt32(truncatingIfNeeded: try row.int("fingerprint")))
        }
        return try await database.read("SELECT owner, sequence, synced FROM lora_indexes", []).map { row in
            let owner = try row.int("owner")
            return Saved(owner: owner, sequence: UInt16(truncatingIfNeeded: try row.int("sequence")), synced: try row.int("synced") != 0,
                         index: LoRaIndex(entries[owner] ?? []))
        }
    }
}
