/// One job of a service's durable queue, as `GET /v1/admin/jobs` and
/// `POST /v1/admin/jobs/{id}/cancel` show it. Times are Unix seconds.
public struct JobRecord: Codable, Sendable, Equatable {
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    public enum State: String, Codable, Sendable, Equatable, CaseIterable {
        case queued, running, done, failed, cancelled
    }

    public var id: String
    /// e.g. `storage.seal`, `storage.prove`.
    public var kind: String
    public var state: State
    /// The job's input (JSON text).
    public var payload: String
    public var idempotencyKey: String?
    /// Claims so far (a give-back at shutdown does not count).
    public var attempts: Int
    public var maxAttempts: Int
    /// Not run before this time (a retry's backoff).
    public var notBefore: Double
    /// `<node>/<process>` of the worker running it.
    public var leaseHolder: String?
    public var leaseExpiresAt: Double?
    /// What the running worker reported (JSON text).
    public var progress: String?
    /// The result once done (JSON text).
    public var result: String?
    public var lastError: String?
    public var createdAt: Double
    public var updatedAt: Double
    public var completedAt: Double?

    public init(id: String, kind: String, state: State, payload: String, idempotencyKey: String? = nil, attempts: Int, maxAttempts: Int,
                notBefore: Double, leaseHolder: String? = nil, leaseExpiresAt: Double? = nil, progress: String? = nil,
                result: String? = nil, lastError: String? = nil, createdAt: Double, updatedAt: Double, completedAt: Double? = nil) {
        self.id = id
        self.kind = kind
        self.state = state
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.notBefore = notBefore
        self.leaseHolder = leaseHolder
        self.leaseExpiresAt = leaseExpiresAt
        self.progress = progress
        self.result = result
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.completedAt = completedAt
    }
}

/// `GET /v1/admin/jobs`: newest first.
public struct JobListResponse: Codable, Sendable, Equatable {
    public var jobs: [JobRecord]
    public init(jobs: [JobRecord]) { self.jobs = jobs }
}
