/// Where a job is in its life. `queued` and `running` are live; the other three are final.
public enum JobState: String, Sendable, CaseIterable, Codable {
    case queued, running, done, failed, cancelled

    /// A final state never changes again.
    public var isFinal: Bool { self == .done || self == .failed || self == .cancelled }
}

/// One row of the `jobs` table as the queue read it. Times are Unix milliseconds.
public struct Job: Sendable, Equatable {
    /// 32 lowercase hex digits (16 random bytes).
    public let id: String
    /// What the job does, e.g. `storage.seal`; workers claim only the kinds they handle.
    public let kind: String
    /// The job's input as JSON text, written once at enqueue.
    public let payload: String
    /// Unique per kind: enqueueing the same key again returns this job.
    public let idempotencyKey: String?
    public let state: JobState
    /// Claims so far (a graceful give-back does not count; a worker that died does).
    public let attempts: Int
    public let maxAttempts: Int
    /// Not claimable before this time (a retry's backoff).
    public let notBefore: Int64
    /// `<node>/<process>` of the worker holding the job while it runs.
    public let leaseHolder: String?
    public let leaseExpiresAt: Int64?
    /// What the running worker reported so far (JSON text, the handler's own format).
    public let progress: String?
    /// The handler's result (JSON text) once done.
    public let result: String?
    /// The latest failure; for a failed job, why it failed.
    public let lastError: String?
    public let createdAt: Int64
    public let updatedAt: Int64
    public let completedAt: Int64?
}

/// A job held by one worker: every write that finishes or extends it names `token`, so after
/// the lease passed to another worker (or the job was cancelled) those writes are refused.
public struct JobClaim: Sendable, Equatable {
    public let job: Job
    /// Random per claim; never reused.
    public let token: String
    public var id: String { job.id }
}

/// What to enqueue.
public struct JobRequest: Sendable {
    public var kind: String
    public var payload: String
    public var idempotencyKey: String?
    public var maxAttempts: Int
    /// Run no earlier than this (Unix milliseconds); nil means now.
    public var notBefore: Int64?
    /// The job's id; nil draws a random one.
    public var id: String?

    public init(kind: String, payload: String, idempotencyKey: String? = nil, maxAttempts: Int = 5,
                notBefore: Int64? = nil, id: String? = nil) {
        self.kind = kind
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.maxAttempts = maxAttempts
        self.notBefore = notBefore
        self.id = id
    }
}

/// Where `fail` left the job.
public enum JobFailOutcome: Sendable, Equatable {
    /// Queued again, claimable from `notBefore`.
    case retrying(notBefore: Int64)
    /// Failed for good (no attempts left, or the failure was permanent).
    case failed
}
