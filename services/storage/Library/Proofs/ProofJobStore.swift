import Foundation
import PakitContracts
import PakitCore
import PakitJobs
import PakitSQL
import PakitZK

/// What a durable job does: build a commitment tree, or prove challenged chunks under one.
/// Both are kinds in the runtime's job queue (`storage.seal`, `storage.prove`).
enum ProofJobKind: String, Sendable {
    case seal, prove

    var queueKind: String { "storage.\(rawValue)" }

    init?(queueKind: String) {
        guard queueKind.hasPrefix("storage.") else { return nil }
        self.init(rawValue: String(queueKind.dropFirst("storage.".count)))
    }
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

/// The proof-specific facts of a job: its queue payload (JSON), written once at enqueue.
struct ProofJobPayload: Codable, Sendable {
    /// The CID as the request spelled it (v0 or v1).
    var cid: String
    var circuit: String?
    var root: String?
    var beacon: String?
    var blocks: [UInt64]?
    var chunkIndices: [UInt64]?
}

/// What a running job has recorded about its prover requests (the queue's `progress`):
/// `attempts` in the API counts prover requests, not queue claims.
struct ProofJobProgress: Codable, Sendable {
    var proverAttempts: Int = 0
    var lastProver: String?
    var lastError: String?
}

/// A proof job as the API and the runner see it, read from its queue row.
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
    /// Prover requests made (a 503 answer is not counted).
    let attempts: Int
    let lastProver: String?
    let result: String?
    let error: String?
    let createdAt: Int64
    let completedAt: Int64?

    init(_ job: Job) throws(SQLError) {
        guard let kind = ProofJobKind(queueKind: job.kind) else { throw .decoding("job \(job.id) is a \(job.kind) job, not a proof job") }
        let payload: ProofJobPayload
        do {
            payload = try JSONDecoder().decode(ProofJobPayload.self, from: Data(job.payload.utf8))
        } catch {
            throw .decoding("job \(job.id) has an unreadable payload: \(error)")
        }
        let progress = job.progress.flatMap { try? JSONDecoder().decode(ProofJobProgress.self, from: Data($0.utf8)) } ?? ProofJobProgress()
        do {
            cid = try CID(payload.cid)
        } catch {
            throw .decoding("job \(job.id) names an invalid CID")
        }
        id = job.id
        self.kind = kind
        cidText = payload.cid
        circuit = payload.circuit
        root = payload.root
        beacon = payload.beacon
        blocks = payload.blocks ?? []
        chunkIndices = payload.chunkIndices ?? []
        switch job.state {
        case .queued: status = .queued
        case .running: status = .running
        case .done: status = .done
        case .failed, .cancelled: status = .failed
        }
        attempts = progress.proverAttempts
        lastProver = progress.lastProver
        result = job.result
        switch job.state {
        case .done: error = nil
        case .failed, .cancelled: error = job.lastError ?? progress.lastError
        case .queued, .running: error = progress.lastError
        }
        createdAt = job.createdAt
        completedAt = job.completedAt
    }

    /// What the runner has recorded so far, to continue from.
    var progress: ProofJobProgress { ProofJobProgress(proverAttempts: attempts, lastProver: lastProver, lastError: error) }

    /// The API view of a proving job; the bundle is decoded from the stored result.
    var record: ProofRecord {
        let bundle = result.flatMap { try? JSONDecoder().decode(ProofBundle.self, from: Data($0.utf8)) }
        return ProofRecord(id: id, cid: cidText, status: status, circuit: circuit ?? "", root: root ?? "", beacon: beacon ?? "",
                           blocks: blocks, chunkIndices: chunkIndices, bundle: bundle, attempts: attempts, lastProver: lastProver,
                           error: error, createdAt: Double(createdAt) / 1000, completedAt: completedAt.map { Double($0) / 1000 })
    }
}

/// Commitments and the proof jobs that fill them, over the runtime's job queue. The queue
/// owns claims, leases and exactly-once completion; this store adds the commitments table,
/// written in the same transaction as the seal job's enqueue, completion or failure.
struct ProofJobStore: Sendable {
    let database: any SQLDatabase
    let queue: JobQueue

    /// Queue claims a proof job may use up. The prover retries of one claim are counted in
    /// the job's progress (`--proof-attempts`); a claim ends early only when storage stops, so
    /// this bounds a job that crashes storage every time it runs.
    static let queueAttempts = 20

    init(database: any SQLDatabase, queue: JobQueue) {
        self.database = database
        self.queue = queue
    }

    /// Unix milliseconds.
    static func nowMilliseconds() -> Int64 { JobQueue.systemMilliseconds() }

    /// 16 random bytes, lowercase hex.
    static func newJobID() -> String { JobQueue.randomID() }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    // MARK: commitments

    /// Queues sealing of `cid` unless a commitment exists: returns the row and whether a job
    /// was created. A failed commitment is queued again.
    func requestCommitment(_ cid: CID) async throws -> (row: CommitmentRow, created: Bool) {
        let now = Self.nowMilliseconds()
        let queue = self.queue
        let created: Bool = try await database.transaction { tx in
            let inserted = try await tx.query(
                "INSERT INTO commitments (cid, cid_text, status, created_at) VALUES ($1, $2, 'queued', $3) ON CONFLICT (cid) DO NOTHING RETURNING cid",
                [MetadataStore.key(cid), .text(cid.string), .integer(now)])
            var queueIt = !inserted.isEmpty
            if !queueIt {
                let retried = try await tx.query(
                    "UPDATE commitments SET status = 'queued', error = NULL, completed_at = NULL WHERE cid = $1 AND status = 'failed' RETURNING cid",
                    [MetadataStore.key(cid)])
                queueIt = !retried.isEmpty
            }
            if queueIt {
                let (job, _) = try await queue.enqueue(
                    JobRequest(kind: ProofJobKind.seal.queueKind, payload: Self.json(ProofJobPayload(cid: cid.string)),
                               maxAttempts: Self.queueAttempts), on: tx)
                try await tx.query("UPDATE commitments SET seal_job = $2 WHERE cid = $1", [MetadataStore.key(cid), .text(job.id)])
            }
            return queueIt
        }
        if created { queue.wakeWorkers() }
        guard let row = try await commitment(cid) else { throw SQLError.decoding("commitment \(cid) vanished") }
        return (row, created)
    }

    /// The commitment of `cid`; a queued one reports `running` while its seal job runs.
    func commitment(_ cid: CID) async throws -> CommitmentRow? {
        let rows = try await database.read(
            """
            SELECT c.status, c.root, c.chunk_count, c.byte_count, c.tree_file, c.tree_sha256, c.error,
                   (SELECT COUNT(*) FROM jobs j WHERE j.id = c.seal_job AND j.state = 'running') AS running
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

    /// Queues a proving job.
    func createProofJob(id: String, cid: CID, circuit: String, root: String, beacon: String, blocks: [UInt64],
                        chunkIndices: [UInt64]) async throws -> ProofJobRow {
        let payload = ProofJobPayload(cid: cid.string, circuit: circuit, root: root, beacon: beacon, blocks: blocks, chunkIndices: chunkIndices)
        let (job, _) = try await queue.enqueue(JobRequest(kind: ProofJobKind.prove.queueKind, payload: Self.json(payload),
                                                          maxAttempts: Self.queueAttempts, id: id))
        return try ProofJobRow(job)
    }

    /// A seal or prove job; nil for an unknown id or a job of another kind.
    func job(_ id: String) async throws -> ProofJobRow? {
        guard let job = try await queue.get(id), ProofJobKind(queueKind: job.kind) != nil else { return nil }
        return try ProofJobRow(job)
    }

    /// Stores a verified proof; false (and nothing written) when the claim was lost.
    func finishProof(_ context: JobContext, bundle: ProofBundle) async throws -> Bool {
        do {
            try await context.complete(result: Self.json(bundle))
            return true
        } catch .leaseLost {
            return false
        }
    }

    /// Marks the commitment done with its (already durable) tree file, and the job with it,
    /// in one transaction; false (nothing written) when the claim was lost.
    func finishSeal(_ context: JobContext, cid: CID, root: String, chunkCount: Int, byteCount: Int,
                    treeFile: String, treeSHA256: String) async throws -> Bool {
        let now = Self.nowMilliseconds()
        struct SealResult: Encodable { let root: String; let chunkCount: Int; let byteCount: Int }
        let result = Self.json(SealResult(root: root, chunkCount: chunkCount, byteCount: byteCount))
        do {
            return try await database.transaction { tx in
                try await context.complete(result: result, on: tx)
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
        } catch JobQueueError.leaseLost {
            return false
        }
    }

    /// Marks the job (and, for sealing, its commitment) failed for good; false when the claim was lost.
    func fail(_ job: ProofJobRow, _ context: JobContext, error: String) async throws -> Bool {
        let now = Self.nowMilliseconds()
        let message = String(error.prefix(1000))
        do {
            return try await database.transaction { tx in
                try await context.fail(error: message, retry: false, on: tx)
                if job.kind == .seal {
                    try await Self.failCommitment(job.cid, sealJob: job.id, message: message, now: now, on: tx)
                }
                return true
            }
        } catch JobQueueError.leaseLost {
            return false
        }
    }

    /// Cancels a job (admin); a cancelled seal job fails its commitment in the same
    /// transaction, so sealing can be requested again.
    func cancel(_ id: String) async throws -> Job {
        // Unknown ids answer without opening a transaction (SQLite has one writer).
        guard try await queue.get(id) != nil else { throw JobQueueError.notFound(id: id) }
        let now = Self.nowMilliseconds()
        let queue = self.queue
        return try await database.transaction { tx in
            let job = try await queue.cancel(id, reason: "cancelled by an administrator", on: tx)
            if job.kind == ProofJobKind.seal.queueKind, let payload = try? JSONDecoder().decode(ProofJobPayload.self, from: Data(job.payload.utf8)),
               let cid = try? CID(payload.cid) {
                try await Self.failCommitment(cid, sealJob: job.id, message: "sealing was cancelled by an administrator", now: now, on: tx)
            }
            return job
        }
    }

    /// Fails the commitment `sealJob` was filling (not a later one queued after it).
    private static func failCommitment(_ cid: CID, sealJob: String, message: String, now: Int64, on tx: any SQLExecutor) async throws {
        try await tx.query(
            "UPDATE commitments SET status = 'failed', error = $2, completed_at = $3 WHERE cid = $1 AND status = 'queued' AND seal_job = $4",
            [MetadataStore.key(cid), .text(message), .integer(now), .text(sealJob)])
    }

    /// Tree files of finished commitments (anything else under commitments/ is an orphan).
    func doneTreeFiles() async throws -> Set<String> {
        Set(try await database.read("SELECT tree_file FROM commitments WHERE status = 'done'").compactMap { $0.optionalText("tree_file") })
    }
}
