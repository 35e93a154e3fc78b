import Hummingbird
import PakitContracts
import PakitHTTPServer
import PakitJobs
import PakitSQL

/// `GET /v1/admin/jobs`, `POST /v1/admin/jobs/{id}/cancel`: the node's durable job queue
/// (seal and proof jobs today) for operators.
extension StorageNode {
    func addJobRoutes(to router: Router<ServiceRequestContext>) {
        router.get("/v1/admin/jobs") { request, context in
            try await handle {
                try context.require(.admin)
                let query = try QueryParameters(request)
                let kind = try query.string("kind", maxLength: 100)
                if let kind, kind.isEmpty { throw StorageError.invalidParameter("kind must be 1…100 characters") }
                let state = try query.oneOf("state", JobState.allCases.map(\.rawValue)).flatMap(JobState.init(rawValue:))
                let limit = Int(try query.integer("limit", in: 1...Int64(JobQueue.listLimit)) ?? 100)
                do {
                    let jobs = try await self.jobQueue.list(kind: kind, state: state, limit: limit)
                    return try jsonResponse(JobListResponse(jobs: jobs.map(Self.record)))
                } catch let error as JobQueueError {
                    throw Self.storageError(error)
                }
            }
        }
        router.post("/v1/admin/jobs/:id/cancel") { _, context in
            try await handle {
                try context.require(.admin)
                let id = context.parameters.get("id") ?? ""
                guard JobQueue.isJobID(id) else { throw StorageError.invalidParameter("a job id is 32 lowercase hex digits") }
                do {
                    return try jsonResponse(Self.record(try await self.proofJobs.cancel(id)))
                } catch let error as JobQueueError {
                    throw Self.storageError(error)
                }
            }
        }
    }

    /// The queue's typed errors as the route answers them (database failures stay `SQLError`,
    /// which `handle` answers 503 without details).
    private static func storageError(_ error: JobQueueError) -> any Error {
        switch error {
        case .notFound(let id): return StorageError.notFound("no job \(id)")
        case .notCancellable(let id, let state):
            return StorageError.jobFinished("job \(id) is \(state.rawValue); only queued or running jobs can be cancelled")
        case .invalid(let message): return StorageError.invalidParameter(message)
        case .leaseLost(let id): return StorageError.jobFinished("job \(id) changed meanwhile; try again")
        case .database(let error): return error
        }
    }

    static func record(_ job: Job) -> JobRecord {
        JobRecord(id: job.id, kind: job.kind, state: JobRecord.State(rawValue: job.state.rawValue) ?? .failed, payload: job.payload,
                  idempotencyKey: job.idempotencyKey, attempts: job.attempts, maxAttempts: job.maxAttempts,
                  notBefore: seconds(job.notBefore), leaseHolder: job.leaseHolder, leaseExpiresAt: job.leaseExpiresAt.map(seconds),
                  progress: job.progress, result: job.result, lastError: job.lastError, createdAt: seconds(job.createdAt),
                  updatedAt: seconds(job.updatedAt), completedAt: job.completedAt.map(seconds))
    }

    private static func seconds(_ milliseconds: Int64) -> Double { Double(milliseconds) / 1000 }
}
