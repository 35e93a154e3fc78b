import Foundation
import PakitConcurrency
import PakitSQL
import Synchronization

/// The durable job queue, one `jobs` table on PostgreSQL or SQLite with the same statements.
///
/// The rows are the queue. Every state change that matters for exactly-once is one
/// conditional `UPDATE … RETURNING` (see `JobQueue+Lease.swift`): a claim takes only a row that
/// is claimable at that instant, and every later write names the claim's token, so a worker
/// whose lease passed to another, or whose job was cancelled, can no longer finish it.
///
/// Engine-agnostic wake-ups: `enqueue` signals this process's workers directly and sends
/// `NOTIFY` (PostgreSQL) so workers of other processes on the same database wake too.
public final class JobQueue: Sendable {
    public let database: any SQLDatabase
    /// Unix milliseconds; injectable so tests can move time instead of sleeping.
    let clock: @Sendable () -> Int64
    private let observers = Mutex<[WakeSignal]>([])

    /// `clock`: Unix milliseconds; nil is the wall clock.
    public init(database: any SQLDatabase, clock: (@Sendable () -> Int64)? = nil) {
        self.database = database
        self.clock = clock ?? { JobQueue.systemMilliseconds() }
    }

    /// Wall-clock Unix milliseconds.
    public static func systemMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// 16 random bytes as 32 lowercase hex digits: job ids and claim tokens.
    public static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<16 {
            let byte = UInt8.random(in: 0...255, using: &generator)
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `text` has the shape of a job id (what request parsers check before a lookup).
    public static func isJobID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    // MARK: wake-ups

    /// A signal raised whenever this queue enqueues or gives a job back (one per worker:
    /// `WakeSignal` has a single waiter).
    public func makeWakeSignal() -> WakeSignal {
        let signal = WakeSignal()
        observers.withLock { $0.append(signal) }
        return signal
    }

    /// Wakes this process's workers; call it after committing a transaction that enqueued.
    public func wakeWorkers() {
        for signal in observers.withLock({ $0 }) { signal.signal() }
    }

    // MARK: enqueue

    /// Adds a job, or, when `idempotencyKey` is already used by a job of the same kind, returns
    /// that job unchanged with `created: false`. With `executor` (an open transaction) the job
    /// is committed with the caller's other writes; call `wakeWorkers()` after the commit.
    @discardableResult
    public func enqueue(_ request: JobRequest, on executor: (any SQLExecutor)? = nil) async throws(JobQueueError) -> (job: Job, created: Bool) {
        guard !request.kind.isEmpty, request.kind.utf8.count <= 100 else { throw .invalid("a job kind is 1…100 bytes") }
        guard (1...1_000).contains(request.maxAttempts) else { throw .invalid("maxAttempts must be 1…1000") }
        if let key = request.idempotencyKey, key.isEmpty || key.utf8.count > 200 {
            throw .invalid("an idempotency key is 1…200 bytes")
        }
        if let id = request.id, !Self.isJobID(id) { throw .invalid("a job id is 32 lowercase hex digits") }
        let target = executor ?? database
        let now = clock()
        let conflict = request.idempotencyKey == nil ? "" : " ON CONFLICT (kind, idempotency_key) DO NOTHING"
        let inserted = try await Self.run(target,
            """
            INSERT INTO jobs (id, kind, payload, idempotency_key, state, attempts, max_attempts, not_before, created_at, updated_at)
            VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $7)\(conflict)
            RETURNING \(Self.columns)
            """,
            [.text(request.id ?? Self.randomID()), .text(request.kind), .text(request.payload), SQLValue(request.idempotencyKey),
             SQLValue(request.maxAttempts), .integer(request.notBefore ?? now), .integer(now)])
        if let row = inserted.first {
            let job = try Self.decode(row)
            try await Self.notify(target, kind: job.kind)
            if executor == nil { wakeWorkers() }
            return (job, true)
        }
        // The key was taken: the existing job is the answer.
        let existing = try await Self.run(target, "SELECT \(Self.columns) FROM jobs WHERE kind = $1 AND idempotency_key = $2",
                                          [.text(request.kind), SQLValue(request.idempotencyKey)])
        guard let row = existing.first else { throw .database(.decoding("job with key \(request.idempotencyKey ?? "") vanished")) }
        return (try Self.decode(row), false)
    }

    // MARK: read

    public func get(_ id: String, on executor: (any SQLExecutor)? = nil) async throws(JobQueueError) -> Job? {
        let sql = "SELECT \(Self.columns) FROM jobs WHERE id = $1"
        let rows: [SQLRow]
        if let executor {
            rows = try await Self.run(executor, sql, [.text(id)])
        } else {
            do { rows = try await database.read(sql, [.text(id)]) } catch { throw .database(error) }
        }
        return try rows.first.map(Self.decode)
    }

    /// The largest page `list` returns.
    public static let listLimit = 1_000

    /// Jobs newest first, optionally of one kind and/or state, at most `limit` (1…`listLimit`).
    public func list(kind: String? = nil, state: JobState? = nil, limit: Int = 100) async throws(JobQueueError) -> [Job] {
        guard (1...Self.listLimit).contains(limit) else { throw .invalid("limit must be 1…\(Self.listLimit)") }
        var conditions: [String] = []
        var binds: [SQLValue] = []
        if let kind {
            binds.append(.text(kind))
            conditions.append("kind = $\(binds.count)")
        }
        if let state {
            binds.append(.text(state.rawValue))
            conditions.append("state = $\(binds.count)")
        }
        binds.append(SQLValue(limit))
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        do {
            return try await database.read(
                "SELECT \(Self.columns) FROM jobs\(filter) ORDER BY created_at DESC, id DESC LIMIT $\(binds.count)", binds
            ).map(Self.decode)
        } catch let error as JobQueueError {
            throw error
        } catch {
            throw .database(error as? SQLError ?? .statement("\(error)"))
        }
    }

    // MARK: cancel

    /// Cancels a queued or running job (one statement). A running worker finds out at its next
    /// heartbeat and its `complete`/`fail` are refused. Throws `notFound` or `notCancellable`.
    @discardableResult
    public func cancel(_ id: String, reason: String = "cancelled", on executor: (any SQLExecutor)? = nil) async throws(JobQueueError) -> Job {
        let target = executor ?? database
        let now = clock()
        let rows = try await Self.run(target,
            """
            UPDATE jobs SET state = 'cancelled', last_error = $2, lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL,
                   completed_at = $3, updated_at = $3
            WHERE id = $1 AND state IN ('queued', 'running')
            RETURNING \(Self.columns)
            """,
            [.text(id), .text(String(reason.prefix(1000))), .integer(now)])
        if let row = rows.first { return try Self.decode(row) }
        guard let job = try await get(id, on: executor) else { throw .notFound(id: id) }
        throw .notCancellable(id: id, state: job.state)
    }

    // MARK: rows

    static let columns = "id, kind, payload, idempotency_key, state, attempts, max_attempts, not_before, lease_holder, lease_token, lease_expires_at, progress, result, last_error, created_at, updated_at, completed_at"

    static func run(_ executor: any SQLExecutor, _ sql: String, _ binds: [SQLValue]) async throws(JobQueueError) -> [SQLRow] {
        do { return try await executor.query(sql, binds) } catch { throw .database(error) }
    }

    static func notify(_ executor: any SQLExecutor, kind: String) async throws(JobQueueError) {
        do { try await executor.notify(channel: JobSchema.channel, payload: kind) } catch { throw .database(error) }
    }

    static func decode(_ row: SQLRow) throws(JobQueueError) -> Job {
        do throws(SQLError) {
            let stateText = try row.text("state")
            guard let state = JobState(rawValue: stateText) else { throw SQLError.decoding("unknown job state \(stateText)") }
            return Job(
                id: try row.text("id"), kind: try row.text("kind"), payload: try row.text("payload"),
                idempotencyKey: row.optionalText("idempotency_key"), state: state,
                attempts: Int(try row.int("attempts")), maxAttempts: Int(try row.int("max_attempts")),
                notBefore: try row.int("not_before"), leaseHolder: row.optionalText("lease_holder"),
                leaseExpiresAt: try row.optionalInt("lease_expires_at"), progress: row.optionalText("progress"),
                result: row.optionalText("result"), lastError: row.optionalText("last_error"),
                createdAt: try row.int("created_at"), updatedAt: try row.int("updated_at"),
                completedAt: try row.optionalInt("completed_at"))
        } catch {
            throw .database(error)
        }
    }
}
