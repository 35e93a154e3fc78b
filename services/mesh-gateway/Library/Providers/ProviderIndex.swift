import PakitCore
import PakitSQL

/// Who holds which CID, durable, answered locally: every provider announcement this gateway has
/// accepted (its own and other origins'), and the current provider set they add up to.
///
/// Each (cid, origin) row remembers the sequence of the announcement that last set it, present
/// or not, so announcements may arrive in any order: an older one never undoes a newer one.
/// CIDs are kept in their v1 form, so a v0 and a v1 name of the same content are one entry.
/// Per origin, `complete_through` is the highest n such that announcements 1…n are all here —
/// what a digest exchange asks the other side to continue from.
struct ProviderIndex: Sendable {
    let database: any SQLDatabase

    static let migrations = [
        Migration(version: 1, name: "providers", postgres: [
            "CREATE TABLE provider_announcements (origin BYTEA NOT NULL, sequence BIGINT NOT NULL, announcement BYTEA NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (origin, sequence))",
            "CREATE TABLE provider_origins (origin BYTEA PRIMARY KEY, complete_through BIGINT NOT NULL)",
            "CREATE TABLE providers (cid BYTEA NOT NULL, origin BYTEA NOT NULL, sequence BIGINT NOT NULL, present INTEGER NOT NULL, PRIMARY KEY (cid, origin))",
        ], sqlite: [
            "CREATE TABLE provider_announcements (origin BLOB NOT NULL, sequence INTEGER NOT NULL, announcement BLOB NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (origin, sequence))",
            "CREATE TABLE provider_origins (origin BLOB PRIMARY KEY, complete_through INTEGER NOT NULL)",
            "CREATE TABLE providers (cid BLOB NOT NULL, origin BLOB NOT NULL, sequence INTEGER NOT NULL, present INTEGER NOT NULL, PRIMARY KEY (cid, origin))",
        ]),
    ]

    /// One stored announcement, as received (signed), or nil.
    func announcement(of origin: PeerID, sequence: UInt64) async throws -> [UInt8]? {
        try await database.read("SELECT announcement FROM provider_announcements WHERE origin = $1 AND sequence = $2",
                                [.blob(origin.publicKey), SQLValue(sequence)]).first.map { try $0.blob("announcement") }
    }

    func has(origin: PeerID, sequence: UInt64) async throws -> Bool {
        try await !database.read("SELECT 1 AS present FROM provider_announcements WHERE origin = $1 AND sequence = $2",
                                 [.blob(origin.publicKey), SQLValue(sequence)]).isEmpty
    }

    /// Stores `announcement` and applies it to the provider set, in one transaction; false when
    /// it was already here.
    @discardableResult
    func apply(_ announcement: ProviderAnnouncement, now: UInt64) async throws -> Bool {
        let origin = SQLValue.blob(announcement.origin.publicKey)
        let sequence = SQLValue(announcement.sequence)
        return try await database.transaction { tx in
            let inserted = try await tx.query(
                "INSERT INTO provider_announcements (origin, sequence, announcement, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (origin, sequence) DO NOTHING RETURNING sequence",
                [origin, sequence, .blob(announcement.encoded), SQLValue(now)])
            guard !inserted.isEmpty else { return false }
            for (cids, present) in [(announcement.added, 1), (announcement.removed, 0)] {
                for batch in stride(from: 0, to: cids.count, by: 200).map({ Array(cids[$0..<min($0 + 200, cids.count)]) }) {
                    var values: [SQLValue] = [origin, sequence, .integer(Int64(present))]
                    let rows = batch.enumerated().map { index, cid in
                        values.append(.blob(cid.v1.bytes))
                        return "($\(index + 4), $1, $2, $3)"
                    }
                    try await tx.query("""
                        INSERT INTO providers (cid, origin, sequence, present) VALUES \(rows.joined(separator: ", "))
                        ON CONFLICT (cid, origin) DO UPDATE SET sequence = excluded.sequence, present = excluded.present
                        WHERE providers.sequence < excluded.sequence
                        """, values)
                }
            }
            // Advance the origin's contiguous prefix as far as the stored announcements reach.
            let current = try await tx.query("SELECT complete_through FROM provider_origins WHERE origin = $1", [origin]).first
            var through = try current?.int("complete_through") ?? 0
            while try await !tx.query("SELECT 1 AS present FROM provider_announcements WHERE origin = $1 AND sequence = $2",
                                       [origin, .integer(through + 1)]).isEmpty {
                through += 1
            }
            try await tx.query("""
                INSERT INTO provider_origins (origin, complete_through) VALUES ($1, $2)
                ON CONFLICT (origin) DO UPDATE SET complete_through = excluded.complete_through
                """, [origin, .integer(through)])
            return true
        }
    }

    /// Origins whose latest word on `cid` is "I hold it".
    func providers(of cid: CID) async throws -> [PeerID] { try await providerEntries(of: cid).map(\.origin) }

    /// The same, each with when this gateway stored the announcement that said so (Unix ms).
    func providerEntries(of cid: CID) async throws -> [(origin: PeerID, learnedAt: UInt64)] {
        try await database.read("""
            SELECT p.origin, a.received_at FROM providers p
            JOIN provider_announcements a ON a.origin = p.origin AND a.sequence = p.sequence
            WHERE p.cid = $1 AND p.present = 1 ORDER BY p.origin
            """, [.blob(cid.v1.bytes)])
            .compactMap { row in
                guard let origin = try? PeerID(ed25519PublicKey: try row.blob("origin")), let at = try? row.int("received_at") else { return nil }
                return (origin, UInt64(max(0, at)))
            }
    }

    /// `origin`'s latest word on each of `cids` that it has announced: held (true) or withdrawn.
    func latestWord(of origin: PeerID, on cids: [CID]) async throws -> [CID: Bool] {
        var word: [CID: Bool] = [:]
        for start in stride(from: 0, to: cids.count, by: 500) {
            let batch = Array(cids[start..<min(start + 500, cids.count)])
            let markers = batch.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
            for row in try await database.read("SELECT cid, present FROM providers WHERE origin = $1 AND cid IN (\(markers))",
                                               [.blob(origin.publicKey)] + batch.map { .blob($0.v1.bytes) }) {
                word[try CID(bytes: try row.blob("cid"))] = try row.int("present") == 1
            }
        }
        return word
    }

    /// Per origin, the announcements held without a gap: 1 … n.
    func digest() async throws -> [PeerID: UInt64] {
        var digest: [PeerID: UInt64] = [:]
        for row in try await database.read("SELECT origin, complete_through FROM provider_origins", []) {
            guard let peer = try? PeerID(ed25519PublicKey: try row.blob("origin")) else { continue }
            digest[peer] = UInt64(max(0, try row.int("complete_through")))
        }
        return digest
    }

    /// The next sequence number of this node's own log.
    func nextSequence(of origin: PeerID) async throws -> UInt64 {
        let row = try await database.read("SELECT MAX(sequence) AS last FROM provider_announcements WHERE origin = $1", [.blob(origin.publicKey)]).first
        return UInt64(max(0, (try row?.optionalInt("last")) ?? 0)) + 1
    }

    /// Stored announcements of `origin` after `sequence`, in order, at most `limit` of them.
    func announcements(of origin: PeerID, after sequence: UInt64, limit: Int) async throws -> [[UInt8]] {
        try await database.read(
            "SELECT announcement FROM provider_announcements WHERE origin = $1 AND sequence > $2 ORDER BY sequence LIMIT \(max(1, limit))",
            [.blob(origin.publicKey), SQLValue(sequence)]).map { try $0.blob("announcement") }
    }
}
