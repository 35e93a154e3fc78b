import Foundation
import PakitCore
import PakitSQL

/// A block's metadata row.
public struct BlockRecord: Sendable {
    public let cid: CID
    public let size: Int
    public let storedSize: Int
    let encoding: StoredEncoding

    init(cid: CID, size: Int, storedSize: Int, encoding: StoredEncoding) {
        self.cid = cid
        self.size = size
        self.storedSize = storedSize
        self.encoding = encoding
    }

    /// An uncompressed block of `size` bytes (the benchmark's synthetic rows).
    public static func plain(cid: CID, size: Int) -> BlockRecord {
        BlockRecord(cid: cid, size: size, storedSize: size + 1, encoding: .plain)
    }
}

/// What a finished file ingest records.
struct FileRecord: Sendable {
    let root: CID
    let name: String?
    let size: UInt64
    let profile: String
    let leaves: Int
    let blake2Root: [UInt8]
    let merkleLeaves: [UInt8]
}

/// All metadata queries of the storage service, over the shared SQL layer (PostgreSQL or SQLite).
public struct MetadataStore: Sendable {
    let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    static func key(_ cid: CID) -> SQLValue { .blob(cid.v1.bytes) }

    static func now() -> SQLValue { .integer(Int64(Date().timeIntervalSince1970)) }

    // MARK: blocks

    public func block(_ cid: CID) async throws -> BlockRecord? {
        let rows = try await database.read("SELECT size, stored_size, encoding FROM blocks WHERE cid = $1", [Self.key(cid)])
        guard let row = rows.first else { return nil }
        return BlockRecord(cid: cid, size: Int(try row.int("size")), storedSize: Int(try row.int("stored_size")),
                           encoding: StoredEncoding(rawValue: UInt8(try row.int("encoding"))) ?? .plain)
    }

    func hasBlock(_ cid: CID) async throws -> Bool {
        try await !database.read("SELECT 1 AS present FROM blocks WHERE cid = $1", [Self.key(cid)]).isEmpty
    }

    /// Inserts block rows and their links in batches (one statement per ≤ 200 rows).
    public static func insertBlocks(_ blocks: [BlockRecord], links: [(parent: CID, child: CID)], in tx: any SQLExecutor) async throws {
        let now = now()
        for batch in blocks.chunked(200) {
            var sql = "INSERT INTO blocks (cid, size, stored_size, encoding, created_at) VALUES "
            var binds: [SQLValue] = []
            for (i, block) in batch.enumerated() {
                let b = i * 5
                sql += (i == 0 ? "" : ", ") + "($\(b + 1), $\(b + 2), $\(b + 3), $\(b + 4), $\(b + 5))"
                binds += [key(block.cid), SQLValue(block.size), SQLValue(block.storedSize), SQLValue(Int(block.encoding.rawValue)), now]
            }
            try await tx.query(sql + " ON CONFLICT (cid) DO NOTHING", binds)
        }
        for batch in links.chunked(400) {
            var sql = "INSERT INTO links (parent, child) VALUES "
            var binds: [SQLValue] = []
            for (i, link) in batch.enumerated() {
                sql += (i == 0 ? "" : ", ") + "($\(i * 2 + 1), $\(i * 2 + 2))"
                binds += [key(link.parent), key(link.child)]
            }
            try await tx.query(sql + " ON CONFLICT (parent, child) DO NOTHING", binds)
        }
    }

    // MARK: files

    /// The leaf hashes of a file added here (`blake2_256` of each leaf CID, 32 bytes each), the
    /// BLAKE2 Merkle tree's leaves; nil for content this node did not ingest as a file.
    func merkleLeaves(of cid: CID) async throws -> [[UInt8]]? {
        guard let row = try await database.read("SELECT merkle_leaves FROM files WHERE cid = $1", [Self.key(cid)]).first else { return nil }
        let bytes = try row.blob("merkle_leaves")
        guard !bytes.isEmpty, bytes.count % 32 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 32).map { Array(bytes[$0..<$0 + 32]) }
    }

    /// Remembers which root an anchored content id names (the first one stays).
    func recordAnchor(contentID: [UInt8], cid: CID) async throws {
        try await database.query("INSERT INTO anchors (content_id, cid, created_at) VALUES ($1, $2, $3) ON CONFLICT (content_id) DO NOTHING",
                                 [.blob(contentID), Self.key(cid), Self.now()])
    }

    /// The root an anchored content id names, if this node anchored or published it.
    func anchoredRoot(contentID: [UInt8]) async throws -> CID? {
        guard let row = try await database.read("SELECT cid FROM anchors WHERE content_id = $1", [.blob(contentID)]).first else { return nil }
        return try CID(bytes: try row.blob("cid"))
    }

    static func recordFile(_ file: FileRecord, in tx: any SQLExecutor) async throws {
        try await tx.query(
            """
            INSERT INTO files (cid, cid_text, name, size, profile, leaves, blake2_root, merkle_leaves, add_count, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)
            ON CONFLICT (cid) DO UPDATE SET add_count = files.add_count + 1
            """,
            [key(file.root), .text(file.root.string), SQLValue(file.name), SQLValue(file.size), .text(file.profile),
             SQLValue(file.leaves), .blob(file.blake2Root), .blob(file.merkleLeaves), now()])
        try await addToCounter("logical_bytes", Int64(file.size), in: tx)
    }

    static func addToCounter(_ name: String, _ delta: Int64, in tx: any SQLExecutor) async throws {
        try await tx.query(
            "INSERT INTO counters (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = counters.value + $2",
            [.text(name), .integer(delta)])
    }

    // MARK: pins

    /// Pins `cid` as this node's own with `replicas` copies wanted in the network (re-pinning
    /// keeps the first pin's time; a factor given replaces the old one); returns the pin's
    /// creation time.
    @discardableResult
    static func pin(_ cid: CID, name: String?, replicas: Int?, defaultReplicas: Int, in tx: any SQLExecutor) async throws -> Int64 {
        let rows = try await tx.query(
            """
            INSERT INTO pins (cid, cid_text, name, created_at, replication_factor, own) VALUES ($1, $2, $3, $4, COALESCE($5, $6), 1)
            ON CONFLICT (cid) DO UPDATE SET name = COALESCE($3, pins.name), own = 1,
                replication_factor = CASE WHEN pins.own = 1 THEN COALESCE($5, pins.replication_factor) ELSE COALESCE($5, $6) END
            RETURNING created_at
            """,
            [key(cid), .text(cid.string), SQLValue(name), now(), replicas.map { .integer(Int64($0)) } ?? .null, .integer(Int64(defaultReplicas))])
        return try rows.first?.int("created_at") ?? 0
    }

    /// Removes this node's own pin. A DAG other nodes still have held here stays pinned for
    /// them (factor 1: this node no longer replicates it). False when it was not pinned.
    func unpin(_ cid: CID) async throws -> Bool {
        try await database.transaction { tx in
            let held = try await !tx.query("SELECT origin FROM replica_holds WHERE cid = $1 LIMIT 1", [Self.key(cid)]).isEmpty
            if held {
                return try await !tx.query("UPDATE pins SET own = 0, replication_factor = 1 WHERE cid = $1 AND own = 1 RETURNING cid",
                                           [Self.key(cid)]).isEmpty
            }
            return try await !tx.query("DELETE FROM pins WHERE cid = $1 RETURNING cid", [Self.key(cid)]).isEmpty
        }
    }

    func pins(after: CID?, limit: Int) async throws -> [(cid: String, name: String?, createdAt: Int64, key: [UInt8])] {
        let rows: [SQLRow]
        if let after {
            rows = try await database.read(
                "SELECT cid, cid_text, name, created_at FROM pins WHERE cid > $1 ORDER BY cid LIMIT $2",
                [Self.key(after), SQLValue(limit)])
        } else {
            rows = try await database.read("SELECT cid, cid_text, name, created_at FROM pins ORDER BY cid LIMIT $1", [SQLValue(limit)])
        }
        return try rows.map { row in
            (try row.text("cid_text"), row.optionalText("name"), try row.int("created_at"), try row.blob("cid"))
        }
    }

    // MARK: links

    func children(of cid: CID) async throws -> [CID] {
        try await database.read("SELECT child FROM links WHERE parent = $1", [Self.key(cid)]).map { row in
            try CID(bytes: try row.blob("child"))
        }
    }

    /// The size (client bytes, before compression) of each of `cids` that has a block row, keyed
    /// by CIDv1; absent keys are not stored. Batched `IN` queries: no block is read.
    public func blockSizes(of cids: [CID]) async throws -> [CID: UInt64] {
        var sizes: [CID: UInt64] = [:]
        for batch in cids.chunked(500) {
            for row in try await database.read("SELECT cid, size FROM blocks WHERE cid IN (\(Self.placeholders(batch.count)))", batch.map(Self.key)) {
                sizes[try CID(bytes: try row.blob("cid"))] = UInt64(max(0, try row.int("size")))
            }
        }
        return sizes
    }

    /// The children of all of `parents` from the links table (batched; no block is read).
    func children(ofAll parents: [CID]) async throws -> [CID] {
        var children: [CID] = []
        for batch in parents.chunked(500) {
            for row in try await database.read("SELECT child FROM links WHERE parent IN (\(Self.placeholders(batch.count)))", batch.map(Self.key)) {
                children.append(try CID(bytes: try row.blob("child")))
            }
        }
        return children
    }

    static func placeholders(_ count: Int) -> String {
        (1...max(1, count)).map { "$\($0)" }.joined(separator: ", ")
    }

    // MARK: stats

    func stats() async throws -> (logical: UInt64, unique: UInt64, stored: UInt64, blocks: Int, compressed: Int, files: Int, pins: Int) {
        let blocks = try await database.read(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS unique_bytes, CAST(COALESCE(SUM(stored_size), 0) AS BIGINT) AS stored_bytes, CAST(COALESCE(SUM(CASE WHEN encoding = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS compressed FROM blocks")
        let files = try await database.read("SELECT COUNT(*) AS n FROM files")
        let pins = try await database.read("SELECT COUNT(*) AS n FROM pins")
        let logical = try await database.read("SELECT value FROM counters WHERE name = 'logical_bytes'")
        let row = blocks.first
        return (UInt64(try logical.first?.int("value") ?? 0),
                UInt64(try row?.int("unique_bytes") ?? 0),
                UInt64(try row?.int("stored_bytes") ?? 0),
                Int(try row?.int("n") ?? 0),
                Int(try row?.int("compressed") ?? 0),
                Int(try files.first?.int("n") ?? 0),
                Int(try pins.first?.int("n") ?? 0))
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
