import Foundation
import PakitContracts
import PakitCore
import PakitSQL
import PakitZK

/// What a durable job does: build a commitment tree, or prove challenged chunks under one.
enum ProofJobKind: String, Sendable {
    case seal, prove
}

/// A `commitments` row.
struct CommitmentRow: Sendable {
    let cid: CID
    let status: JobStatus
    let root: String?
    let chunkCount: Int?
    let byteCount: Int?
    let treeFile: String?
    let treeSHA256: String?
    let error: String?

    var response: CommitmentResponse {
        CommitmentResponse(cid: cid.string, status: status, root: root, chunkCount: chunkCount.map(UInt64.init),
                           byteCount: byteCount.map(UInt64.init),
                           blockCount: chunkCount.map { UInt64(StorageChallenge.blockCount(chunkCount: $0)) }, error: error)
    }
}

/// A `proof_jobs` row.
struct ProofJobRow: Sendable {
    let id: String
    let kind: ProofJobKind
    let cid: CID
    /// The CID as the request spelled it (v0 or v1).
    let cidText: String
    let circuit: String?
    let root: String?
    let beacon: String?
    let blocks: [UInt64]
    let chunkIndices: [UInt64]
    let status: JobStatus
    let attempts: Int
    let leaseOwner: String?
    let lastProver: String?
    let result: String?
    let error: String?
    let createdAt: Int64
    let completedAt: Int64?

    /// The API view of a proving job; the bundle is decoded from the stored result.
    var record: ProofRecord {
        let bundle = result.flatMap { try? JSONDecoder().decode(ProofBundle.self, from: Data($0.utf8)) }
        return ProofRecord(id: id, cid: cidText, status: status, circuit: circuit ?? "", root: root ?? "", beacon: beacon ?? "",
                           blocks: blocks, chunkIndices: chunkIndices, bundle: bundle, attempts: attempts, lastProver: lastProver,
                           error: error, createdAt: Double(createdAt) / 1000, completedAt: completedAt.map { Double($0) / 1000 })
    }
}

/// The durable job queue and the commitments it fills, over the shared SQL layer. The rows are
/// the queue: a job is claimed by a conditional `UPDATE` (only a queued row, or a running row
/// whose lease expired, can be claimed), and every later write of a job names the claim it
/// holds, so a job whose lease passed to another runner can no longer be finished by the first.
struct ProofJobStore: Sendable {
    let database: any SQLDatabase

    /// Unix milliseconds.
    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// 16 random bytes, lowercase hex.
    static func newJobID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static let jobColumns = "id, kind, cid, cid_text, circuit, root, beacon, blocks, chunk_indices, status, attempts, lease_owner, last_prover, result, error, created_at, completed_at"

    // MARK: commitments

    /// Queues sealing of `cid` unless a commitment exists: returns the row and whether a job
    /// was created. A failed commitment is queued again.
    func requestCommitment(_ cid: CID) async throws -> (row: CommitmentRow, created: Bool) {
        let now = Self.nowMilliseconds()
        let created: Bool = try await database.transaction { tx in
            let inserted = try await tx.query(
                "INSERT INTO commitments (cid, cid_text, status, created_at) VALUES ($1, $2, 'queued', $3) ON CONFLICT (cid) DO NOTHING RETURNING cid",
                [MetadataStore.key(cid), .text(cid.string), .integer(now)])
            var queue = !inserted.isEmpty
            if !queue {
                let retried = try await tx.query(
                    "UPDATE commitments SET status = 'queued', error = NULL, completed_at = NULL WHERE cid = $1 AND status = 'failed' RETURNING cid",
                    [MetadataStore.key(cid)])
                queue = !retried.isEmpty
            }
            if queue {
                try await tx.query(
                    "INSERT INTO proof_jobs (id, kind, cid, cid_text, status, attempts, created_at) VALUES ($1, 'seal', $2, $3, 'queued', 0, $4)",
                    [.text(Self.newJobID()), MetadataStore.key(cid), .text(cid.string), .integer(now)])
            }
            return queue
        }
        guard let row = try await commitment(cid) else { throw SQLError.decoding("commitment \(cid) vanished") }
        return (row, created)
    }

    /// The commitment of `cid`; a queued one reports `running` while its seal job runs.
    func commitment(_ cid: CID) async throws -> CommitmentRow? {
        let rows = try await database.read(
            """
            SELECT c.status, c.root, c.chunk_count, c.byte_count, c.tree_file, c.tree_sha256, c.error,
                   (SELECT COUNT(*) FROM proof_jobs j WHERE j.cid = c.cid AND j.kind = 'seal' AND j.status = 'running') AS running
            FROM commitments c WHERE c.cid = $1
            """,
            [MetadataStore.key(cid)])
        guard let row = rows.first else { return nil }
        var status = JobStatus(rawValue: try row.text("status")) ?? .failed
        if status == .queued, try row.int("running") > 0 { status = .running }
        return CommitmentRow(cid: cid, status: status, root: row.optionalText("root"),
                             chunkCount: try row.optionalInt("chunk_count").map(Int.init),
                             byteCount: try row.optionalInt("byte_count").map(Int.init),
                             treeFile: row.optionalText("tree_file"), treeSHA256: row.optionalText("tree_sha256"),
                             error: row.optionalText("error"))
    }

    // MARK: proof jobs

    /// Inserts a queued proving job.
    func createProofJob(id: String, cid: CID, circuit: String, root: String, beacon: String, blocks: [UInt64],
                        chunkIndices: [UInt64]) async throws -> ProofJobRow {
        try await database.query(
            """
            INSERT INTO proof_jobs (id, kind, cid, cid_text, circuit, root, beacon, blocks, chunk_indices, status, attempts, created_at)
            VALUES ($1, 'prove', $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $9)
            """,
            [.text(id), MetadataStore.key(cid), .text(cid.string), .text(circuit), .text(root), .text(beacon),
             .text(Self.encodeList(blocks)), .text(Self.encodeList(chunkIndices)), .integer(Self.nowMilliseconds())])
        guard let row = try await job(id) else { throw SQLError.decoding("job \(id) vanished") }
        return row
    }

    func job(_ id: String) async throws -> ProofJobRow? {
        try await database.read("SELECT \(Self.jobColumns) FROM proof_jobs WHERE id = $1", [.text(id)]).first.map(Self.decodeJob)
    }

    /// Claims the oldest claimable job for `claim` until `leaseUntil`: a queued job, or a running
    /// one whose lease expired. The `WHERE` repeats the claimability test on the row itself, so
    /// of two runners racing for one row exactly one gets it (PostgreSQL re-checks the condition
    /// after waiting for the other's row lock; SQLite has a single writer).
    func claimNext(claim: String, leaseUntil: Int64) async throws -> ProofJobRow? {
        let now = Self.nowMilliseconds()
        let rows = try await database.query(
            """
            UPDATE proof_jobs SET status = 'running', lease_owner = $1, lease_until = $2
            WHERE id = (SELECT id FROM proof_jobs
                        WHERE status IN ('queued', 'running') AND (status = 'queued' OR lease_until < $3)
                        ORDER BY created_at, id LIMIT 1)
              AND status IN ('queued', 'running') AND (status = 'queued' OR lease_until < $3)
            RETURNING \(Self.jobColumns)
            """,
            [.text(claim), .integer(leaseUntil), .integer(now)])
        return try rows.first.map(Self.decodeJob)
    }

    /// Records the start of a prover request: one more attempt, on `prover`. Returns the attempt
    /// count, or nil when the claim was lost.
    func startAttempt(id: String, claim: String, prover: String, leaseUntil: Int64) async throws -> Int? {
        let rows = try await database.query(
            "UPDATE proof_jobs SET attempts = attempts + 1, last_prover = $3, lease_until = $4 WHERE id = $1 AND status = 'running' AND lease_owner = $2 RETURNING attempts",
            [.text(id), .text(claim), .text(prover), .integer(leaseUntil)])
        return try rows.first.map { Int(try $0.int("attempts")) }
    }

    /// Takes back the attempt counted for a request the prover declined with 503 (busy, keys
    /// not ready): the job did not fail there. Returns the attempt count.
    func uncountAttempt(id: String, claim: String) async throws -> Int? {
        let rows = try await database.query(
            "UPDATE proof_jobs SET attempts = attempts - 1 WHERE id = $1 AND status = 'running' AND lease_owner = $2 AND attempts > 0 RETURNING attempts",
            [.text(id), .text(claim)])
        return try rows.first.map { Int(try $0.int("attempts")) }
    }

    /// Keeps the lease; false when the claim was lost.
    func renewLease(id: String, claim: String, leaseUntil: Int64) async throws -> Bool {
        try await !database.query(
            "UPDATE proof_jobs SET lease_until = $3 WHERE id = $1 AND status = 'running' AND lease_owner = $2 RETURNING id",
            [.text(id), .text(claim), .integer(leaseUntil)]).isEmpty
    }

    /// Notes why the latest attempt failed (the job stays running and is retried).
    func noteFailure(id: String, claim: String, error: String) async throws {
        try await database.query(
            "UPDATE proof_jobs SET error = $3 WHERE id = $1 AND status = 'running' AND lease_owner = $2",
            [.text(id), .text(claim), .text(String(error.prefix(1000)))])
    }

    /// Stores a verified proof; false (and nothing written) when the claim was lost.
    func finishProof(id: String, claim: String, bundle: ProofBundle) async throws -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let result = String(decoding: try encoder.encode(bundle), as: UTF8.self)
        return try await !database.query(
            """
            UPDATE proof_jobs SET status = 'done', result = $3, error = NULL, lease_owner = NULL, lease_until = NULL, completed_at = $4
            WHERE id = $1 AND status = 'running' AND lease_owner = $2 RETURNING id
            """,
            [.text(id), .text(claim), .text(result), .integer(Self.nowMilliseconds())]).isEmpty
    }

    /// Marks the commitment done with its (already durable) tree file, and the job with it.
    func finishSeal(id: String, claim: String, cid: CID, root: String, chunkCount: Int, byteCount: Int,
                    treeFile: String, treeSHA256: String) async throws -> Bool {
        let now = Self.nowMilliseconds()
        return try await database.transaction { tx in
            let finished = try await tx.query(
                """
                UPDATE proof_jobs SET status = 'done', root = $3, error = NULL, lease_owner = NULL, lease_until = NULL, completed_at = $4
                WHERE id = $1 AND status = 'running' AND lease_owner = $2 RETURNING id
                """,
                [.text(id), .text(claim), .text(root), .integer(now)])
            guard !finished.isEmpty else { return false }
            try await tx.query(
                """
                UPDATE commitments SET status = 'done', root = $2, chunk_count = $3, byte_count = $4, tree_file = $5, tree_sha256 = $6,
                       error = NULL, completed_at = $7
                WHERE cid = $1
                """,
                [MetadataStore.key(cid), .text(root), SQLValue(chunkCount), SQLValue(byteCount), .text(treeFile),
                 .text(treeSHA256), .integer(now)])
            return true
        }
    }

    /// Marks the job (and, for sealing, its commitment) failed; false when the claim was lost.
    func fail(_ job: ProofJobRow, claim: String, error: String) async throws -> Bool {
        let now = Self.nowMilliseconds()
        let message = String(error.prefix(1000))
        return try await database.transaction { tx in
            let failed = try await tx.query(
                """
                UPDATE proof_jobs SET status = 'failed', error = $3, lease_owner = NULL, lease_until = NULL, completed_at = $4
                WHERE id = $1 AND status = 'running' AND lease_owner = $2 RETURNING id
                """,
                [.text(job.id), .text(claim), .text(message), .integer(now)])
            guard !failed.isEmpty else { return false }
            if job.kind == .seal {
                try await tx.query(
                    "UPDATE commitments SET status = 'failed', error = $2, completed_at = $3 WHERE cid = $1 AND status = 'queued'",
                    [MetadataStore.key(job.cid), .text(message), .integer(now)])
            }
            return true
        }
    }

    /// Puts running jobs whose claim starts with `prefix` back in the queue: at start-up the
    /// claims of this node's previous process (it died or stopped; nothing runs them), at
    /// shutdown this process's own.
    @discardableResult
    func release(claimPrefix prefix: String) async throws -> Int {
        try await database.query(
            "UPDATE proof_jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL WHERE status = 'running' AND lease_owner LIKE $1 RETURNING id",
            [.text(prefix + "%")]).count
    }

    /// Gives one held job back to the queue (shutdown or cancellation).
    func release(id: String, claim: String) async throws {
        try await database.query(
            "UPDATE proof_jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL WHERE id = $1 AND status = 'running' AND lease_owner = $2",
            [.text(id), .text(claim)])
    }

    /// Tree files of finished commitments (anything else under commitments/ is an orphan).
    func doneTreeFiles() async throws -> Set<String> {
        Set(try await database.read("SELECT tree_file FROM commitments WHERE status = 'done'").compactMap { $0.optionalText("tree_file") })
    }

    // MARK: row coding

    static func encodeList(_ values: [UInt64]) -> String {
        values.map(String.init).joined(separator: ",")
    }

    static func decodeList(_ text: String?) -> [UInt64] {
        (text ?? "").split(separator: ",").compactMap { UInt64($0) }
    }

    static func decodeJob(_ row: SQLRow) throws -> ProofJobRow {
        ProofJobRow(
            id: try row.text("id"),
            kind: ProofJobKind(rawValue: try row.text("kind")) ?? .prove,
            cid: try CID(bytes: try row.blob("cid")),
            cidText: try row.text("cid_text"),
            circuit: row.optionalText("circuit"),
            root: row.optionalText("root"),
            beacon: row.optionalText("beacon"),
            blocks: decodeList(row.optionalText("blocks")),
            chunkIndices: decodeList(row.optionalText("chunk_indices")),
            status: JobStatus(rawValue: try row.text("status")) ?? .failed,
            attempts: Int(try row.int("attempts")),
            leaseOwner: row.optionalText("lease_owner"),
            lastProver: row.optionalText("last_prover"),
            result: row.optionalText("result"),
            error: row.optionalText("error"),
            createdAt: try row.int("created_at"),
            completedAt: try row.optionalInt("completed_at"))
    }
}
