import Foundation
import PakitContracts
import PakitCore
import PakitSQL

/// The replication tables (`StorageSchema` v4): on the origin, each pin's factor and its
/// replicas' rows; on a replica, what it holds for which origin.
struct ReplicaStore: Sendable {
    let database: any SQLDatabase

    private static func key(_ cid: CID) -> SQLValue { .blob(cid.v1.bytes) }
    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    // MARK: origin side

    /// The pin's factor when it is this node's own, else nil.
    func factor(of cid: CID) async throws -> Int? {
        try await database.read("SELECT replication_factor FROM pins WHERE cid = $1 AND own = 1", [Self.key(cid)])
            .first.map { Int(try $0.int("replication_factor")) }
    }

    /// Every CID with replication work possible: own pins with a factor above 1, and CIDs with
    /// replicas not yet released (their pin may be gone).
    func cidsToWatch() async throws -> [CID] {
        let rows = try await database.read(
            "SELECT cid FROM pins WHERE own = 1 AND replication_factor > 1 UNION SELECT cid FROM replicas WHERE state <> 'released'", [])
        return try rows.map { try CID(bytes: try $0.blob("cid")) }
    }

    func rows(of cid: CID) async throws -> [ReplicationPlan.Row] {
        try await database.read("SELECT peer_id, storage_url, state, updated_at FROM replicas WHERE cid = $1", [Self.key(cid)]).compactMap { row in
            guard let state = ReplicaInfo.State(rawValue: try row.text("state")) else { return nil }
            return ReplicationPlan.Row(peerID: try row.text("peer_id"), storageURL: try row.text("storage_url"), state: state,
                                       updatedAt: try row.int("updated_at"))
        }
    }

    func infos(of cid: CID) async throws -> [ReplicaInfo] {
        try await database.read(
            "SELECT peer_id, storage_url, state, reason, statement, updated_at FROM replicas WHERE cid = $1 ORDER BY peer_id", [Self.key(cid)]
        ).compactMap { row in
            guard let state = ReplicaInfo.State(rawValue: try row.text("state")) else { return nil }
            let statement = row.optionalText("statement").flatMap { try? JSONDecoder().decode(ReplicaStatement.self, from: Data($0.utf8)) }
            return ReplicaInfo(peerID: try row.text("peer_id"), storageURL: try row.text("storage_url"), state: state,
                               reason: row.optionalText("reason"),
                               updatedAt: StorageNode.rfc3339(Date(timeIntervalSince1970: TimeInterval(try row.int("updated_at")))),
                               statement: statement)
        }
    }

    /// Confirmed replicas per pin, for listings.
    func confirmedCounts(of cids: [CID]) async throws -> [CID: Int] {
        guard !cids.isEmpty else { return [:] }
        var counts: [CID: Int] = [:]
        for chunk in cids.chunked(500) {
            let rows = try await database.read(
                "SELECT cid, COUNT(*) AS n FROM replicas WHERE state = 'confirmed' AND cid IN (\(MetadataStore.placeholders(chunk.count))) GROUP BY cid",
                chunk.map { Self.key($0) })
            for row in rows { counts[try CID(bytes: try row.blob("cid"))] = Int(try row.int("n")) }
        }
        return counts
    }

    func setState(_ cid: CID, peer: String, storageURL: String, state: ReplicaInfo.State, reason: String? = nil,
                  statement: ReplicaStatement? = nil) async throws {
        let statementText = try statement.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await database.query(
            """
            INSERT INTO replicas (cid, peer_id, storage_url, state, reason, statement, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (cid, peer_id) DO UPDATE SET storage_url = $3, state = $4, reason = $5,
                statement = CASE WHEN $4 = 'confirmed' THEN $6 ELSE replicas.statement END, updated_at = $7
            """,
            [Self.key(cid), .text(peer), .text(storageURL), .text(state.rawValue), SQLValue(reason), SQLValue(statementText), .integer(Self.now())])
    }

    /// The job now working on `cid`'s replicas, if one was queued.
    func roundJob(of cid: CID) async throws -> (round: Int64, job: String?)? {
        try await database.read("SELECT round, job FROM replication_rounds WHERE cid = $1", [Self.key(cid)])
            .first.map { (try $0.int("round"), $0.optionalText("job")) }
    }

    /// Opens the next round for `cid` (inside `tx`) and returns its number.
    static func nextRound(_ cid: CID, in tx: any SQLExecutor) async throws -> Int64 {
        let rows = try await tx.query(
            "INSERT INTO replication_rounds (cid, round) VALUES ($1, 1) ON CONFLICT (cid) DO UPDATE SET round = replication_rounds.round + 1 RETURNING round",
            [key(cid)])
        return try rows.first?.int("round") ?? 1
    }

    static func setRoundJob(_ cid: CID, job: String, in tx: any SQLExecutor) async throws {
        try await tx.query("UPDATE replication_rounds SET job = $2 WHERE cid = $1", [key(cid), .text(job)])
    }

    // MARK: replica side

    /// Pins `cid` for `origin` (inside `tx`): a new pin is not this node's own; the hold is
    /// recorded (or its size updated).
    static func hold(_ cid: CID, for origin: String, bytes: UInt64, in tx: any SQLExecutor) async throws {
        let now = Self.now()
        try await tx.query(
            "INSERT INTO pins (cid, cid_text, name, created_at, replication_factor, own) VALUES ($1, $2, NULL, $3, 1, 0) ON CONFLICT (cid) DO NOTHING",
            [key(cid), .text(cid.string), .integer(now)])
        try await tx.query(
            "INSERT INTO replica_holds (cid, origin, bytes, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (cid, origin) DO UPDATE SET bytes = $3",
            [key(cid), .text(origin), .integer(Int64(clamping: bytes)), .integer(now)])
    }

    /// Ends `origin`'s hold on `cid`; the pin goes when nobody holds it and it is not this node's
    /// own. False when `origin` had no hold.
    func release(_ cid: CID, for origin: String) async throws -> (released: Bool, unpinned: Bool) {
        try await database.transaction { tx in
            let removed = try await !tx.query("DELETE FROM replica_holds WHERE cid = $1 AND origin = $2 RETURNING cid",
                                              [Self.key(cid), .text(origin)]).isEmpty
            guard removed else { return (false, false) }
            let others = try await !tx.query("SELECT origin FROM replica_holds WHERE cid = $1 LIMIT 1", [Self.key(cid)]).isEmpty
            guard !others else { return (true, false) }
            let unpinned = try await !tx.query("DELETE FROM pins WHERE cid = $1 AND own = 0 RETURNING cid", [Self.key(cid)]).isEmpty
            return (true, unpinned)
        }
    }

    /// Bytes held for other nodes, DAGs this node does not pin itself, except `cid`.
    func heldForOthers(except cid: CID) async throws -> UInt64 {
        let rows = try await database.read(
            """
            SELECT COALESCE(SUM(b), 0) AS total FROM (SELECT MAX(h.bytes) AS b FROM replica_holds h JOIN pins p ON p.cid = h.cid
            WHERE p.own = 0 AND h.cid <> $1 GROUP BY h.cid) AS held
            """, [Self.key(cid)])
        return UInt64(max(0, try rows.first?.int("total") ?? 0))
    }

    /// The origins `cid` is held for.
    func origins(of cids: [CID]) async throws -> [CID: [String]] {
        guard !cids.isEmpty else { return [:] }
        var result: [CID: [String]] = [:]
        for chunk in cids.chunked(500) {
            let rows = try await database.read(
                "SELECT cid, origin FROM replica_holds WHERE cid IN (\(MetadataStore.placeholders(chunk.count))) ORDER BY origin",
                chunk.map { Self.key($0) })
            for row in rows { result[try CID(bytes: try row.blob("cid")), default: []].append(try row.text("origin")) }
        }
        return result
    }
}
