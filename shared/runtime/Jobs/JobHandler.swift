import Synchronization

/// Runs the jobs of one kind. `run` returns the result (JSON text) and the worker completes the
/// job with it, unless the handler finished the job itself through `context` (to commit it
/// with its own writes in one transaction). Throwing fails the attempt: `JobFailure.permanent`
/// fails the job at once, anything else retries with backoff while attempts remain.
public struct JobHandler: Sendable {
    public let kind: String
    public let run: @Sendable (JobContext) async throws -> String?

    public init(kind: String, run: @escaping @Sendable (JobContext) async throws -> String?) {
        self.kind = kind
        self.run = run
    }
}

/// Thrown by a handler to end its job without retries (the input can never work).
public struct JobFailure: Error, Sendable {
    public let message: String
    public let permanent: Bool

    public static func permanent(_ message: String) -> JobFailure { JobFailure(message: message, permanent: true) }
    public static func retry(_ message: String) -> JobFailure { JobFailure(message: message, permanent: false) }
}

/// What a handler gets: its claim and the writes it may make under it.
public struct JobContext: Sendable {
    public let claim: JobClaim
    public let queue: JobQueue
    let lease: Duration
    let finished: FinishFlag

    public var job: Job { claim.job }

    /// Records progress (JSON text) and extends the lease. Throws `leaseLost`.
    public func saveProgress(_ progress: String) async throws(JobQueueError) {
        try await queue.heartbeat(claim, lease: lease, progress: progress)
    }

    /// Completes the job now; with `executor` inside the caller's transaction (the worker then
    /// ignores the handler's return value). Throws `leaseLost`.
    public func complete(result: String?, on executor: (any SQLExecutor)? = nil) async throws(JobQueueError) {
        try await queue.complete(claim, result: result, on: executor)
        finished.set()
    }

    /// Fails the attempt now (see `JobQueue.fail`); with `executor` inside the caller's
    /// transaction. Throws `leaseLost`.
    @discardableResult
    public func fail(error: String, retry: Bool, on executor: (any SQLExecutor)? = nil) async throws(JobQueueError) -> JobFailOutcome {
        let outcome = try await queue.fail(claim, error: error, retry: retry, on: executor)
        finished.set()
        return outcome
    }
}

/// Whether the handler already finished its job. Set only after a write that succeeded; a
/// transaction that then rolls back leaves the job running, and its lease expiry retries it.
final class FinishFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

import PakitSQL
