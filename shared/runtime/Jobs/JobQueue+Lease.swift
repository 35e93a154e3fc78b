import PakitSQL

/// Claims and everything a claim does afterwards. Each is ONE conditional statement, so it
/// takes effect whole or not at all, whatever other workers do at the same moment:
///
/// - `claim`: the oldest job of the given kinds that is queued and due, or running with an
///   expired lease and attempts left. PostgreSQL picks it with `FOR UPDATE SKIP LOCKED` (racing
///   claimers take different rows instead of waiting); SQLite has one writer. The outer `WHERE`
///   repeats the test on the row itself.
/// - `heartbeat`, `complete`, `fail`, `release`: `WHERE id = … AND state = 'running' AND
///   lease_token = …`; no row back means the claim lost the job and nothing was written.
extension JobQueue {
    static let claimable = "((state = 'queued' AND not_before <= $3) OR (state = 'running' AND lease_expires_at < $3)) AND attempts < max_attempts"

    /// Claims one job of `kinds` for `holder` until now + `lease`; nil when none is claimable.
    public func claim(kinds: [String], holder: String, lease: Duration) async throws(JobQueueError) -> JobClaim? {
        guard !kinds.isEmpty else { return nil }
        let now = clock()
        let token = Self.randomID()
        var binds: [SQLValue] = [.text(holder), .text(token), .integer(now), .integer(now + JobBackoff.milliseconds(lease))]
        let kindList = kinds.map { kind -> String in
            binds.append(.text(kind))
            return "$\(binds.count)"
        }.joined(separator: ", ")
        let lock = database.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let rows = try await Self.run(database,
            """
            UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_holder = $1, lease_token = $2, lease_expires_at = $4, updated_at = $3
            WHERE id = (SELECT id FROM jobs WHERE kind IN (\(kindList)) AND \(Self.claimable) ORDER BY created_at, id LIMIT 1\(lock))
              AND \(Self.claimable)
            RETURNING \(Self.columns)
            """, binds)
        guard let row = rows.first else { return nil }
        return JobClaim(job: try Self.decode(row), token: token)
    }

    /// Extends the lease to now + `lease`, optionally recording `progress`. Throws `leaseLost`.
    public func heartbeat(_ claim: JobClaim, lease: Duration, progress: String? = nil) async throws(JobQueueError) {
        let now = clock()
        let rows = try await Self.run(database,
            """
            UPDATE jobs SET lease_expires_at = $3, updated_at = $4, progress = COALESCE($5, progress)
            WHERE id = $1 AND state = 'running' AND lease_token = $2 RETURNING id
            """,
            [.text(claim.id), .text(claim.token), .integer(now + JobBackoff.milliseconds(lease)), .integer(now), SQLValue(progress)])
        if rows.isEmpty { throw .leaseLost(id: claim.id) }
    }

    /// Marks the job done with `result` (JSON text). Throws `leaseLost` (nothing written) when
    /// the claim no longer holds the job. With `executor`, part of the caller's transaction.
    @discardableResult
    public func complete(_ claim: JobClaim, result: String?, on executor: (any SQLExecutor)? = nil) async throws(JobQueueError) -> Job {
        let now = clock()
        let rows = try await Self.run(executor ?? database,
            """
            UPDATE jobs SET state = 'done', result = $3, last_error = NULL, lease_holder = NULL, lease_token = NULL,
                   lease_expires_at = NULL, completed_at = $4, updated_at = $4
            WHERE id = $1 AND state = 'running' AND lease_token = $2
            RETURNING \(Self.columns)
            """,
            [.text(claim.id), .text(claim.token), SQLValue(result), .integer(now)])
        guard let row = rows.first else { throw .leaseLost(id: claim.id) }
        return try Self.decode(row)
    }

    /// Records a failed attempt. While attempts remain and `retry` is true the job is queued
    /// again from now + backoff; otherwise it is failed with `error` (a poison job stops here).
    /// Throws `leaseLost` when the claim no longer holds the job.
    @discardableResult
    public func fail(_ claim: JobClaim, error: String, retry: Bool = true, backoff: JobBackoff = JobBackoff(),
                     on executor: (any SQLExecutor)? = nil) async throws(JobQueueError) -> JobFailOutcome {
        let now = clock()
        // The claim pinned `attempts` (it cannot change while the token matches).
        let retryAt = now + backoff.delayMilliseconds(afterAttempt: claim.job.attempts)
        let rows = try await Self.run(executor ?? database,
            """
            UPDATE jobs SET
              state = CASE WHEN $3 = 1 AND attempts < max_attempts THEN 'queued' ELSE 'failed' END,
              not_before = CASE WHEN $3 = 1 AND attempts < max_attempts THEN $5 ELSE not_before END,
              completed_at = CASE WHEN $3 = 1 AND attempts < max_attempts THEN NULL ELSE $6 END,
              last_error = $4, lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $6
            WHERE id = $1 AND state = 'running' AND lease_token = $2
            RETURNING state, not_before
            """,
            [.text(claim.id), .text(claim.token), SQLValue(retry), .text(String(error.prefix(2000))), .integer(retryAt), .integer(now)])
        guard let row = rows.first else { throw .leaseLost(id: claim.id) }
        do throws(SQLError) {
            return try row.text("state") == JobState.queued.rawValue ? .retrying(notBefore: try row.int("not_before")) : .failed
        } catch {
            throw .database(error)
        }
    }

    /// Gives a claimed job back unchanged (shutdown): queued again at once, and the claim's
    /// attempt is not counted. Throws `leaseLost` when the claim no longer holds the job.
    public func release(_ claim: JobClaim) async throws(JobQueueError) {
        let rows = try await Self.run(database,
            """
            UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                   lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $3
            WHERE id = $1 AND state = 'running' AND lease_token = $2 RETURNING id
            """,
            [.text(claim.id), .text(claim.token), .integer(clock())])
        if rows.isEmpty { throw .leaseLost(id: claim.id) }
        try await Self.notify(database, kind: claim.job.kind)
        wakeWorkers()
    }

    /// Gives back every job `holder` is running (a worker's shutdown), like `release`.
    @discardableResult
    public func release(holder: String) async throws(JobQueueError) -> Int {
        let rows = try await Self.run(database,
            """
            UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
                   lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $2
            WHERE state = 'running' AND lease_holder = $1 RETURNING kind
            """,
            [.text(holder), .integer(clock())])
        var kinds = Set<String>()
        for row in rows { if let kind = row.optionalText("kind") { kinds.insert(kind) } }
        for kind in kinds { try await Self.notify(database, kind: kind) }
        return rows.count
    }

    /// Start-up recovery: jobs still running under a holder that starts with `prefix` belong to
    /// an earlier process of this node, which is gone (nothing runs them), so they are queued
    /// again now instead of when their leases expire. The interrupted attempt counts; a job
    /// that has used all its attempts this way fails. Returns how many were recovered.
    @discardableResult
    public func recover(holderPrefix prefix: String) async throws(JobQueueError) -> Int {
        let now = clock()
        let rows = try await Self.run(database,
            """
            UPDATE jobs SET
              state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
              completed_at = CASE WHEN attempts < max_attempts THEN NULL ELSE $2 END,
              last_error = CASE WHEN attempts < max_attempts THEN last_error ELSE $3 END,
              lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $2
            WHERE state = 'running' AND substr(lease_holder, 1, length($1)) = $1
            RETURNING id
            """,
            [.text(prefix), .integer(now), .text("the worker stopped while running the job on its last attempt")])
        return rows.count
    }

    /// Fails running jobs whose lease expired after their last attempt (their worker died and
    /// no claim may take them again). Returns how many.
    @discardableResult
    public func failAbandoned() async throws(JobQueueError) -> Int {
        let now = clock()
        return try await Self.run(database,
            """
            UPDATE jobs SET state = 'failed', last_error = $2, lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL,
                   completed_at = $1, updated_at = $1
            WHERE state = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts
            RETURNING id
            """,
            [.integer(now), .text("the lease expired on the last attempt (the worker stopped or hung)")]).count
    }
}
