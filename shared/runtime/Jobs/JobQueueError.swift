import PakitSQL

/// What the job queue throws at its seam.
public enum JobQueueError: Error, Sendable, CustomStringConvertible {
    /// The claim no longer holds the job: its lease passed to another worker, or it was
    /// cancelled, released or already finished. Nothing was written.
    case leaseLost(id: String)
    /// No job has this id.
    case notFound(id: String)
    /// The job is already in a final state.
    case notCancellable(id: String, state: JobState)
    /// The request itself is unusable (empty kind, attempts or limit out of range).
    case invalid(String)
    /// The database failed or returned a row that does not read as a job.
    case database(SQLError)

    public var description: String {
        switch self {
        case .leaseLost(let id): "job \(id): the claim no longer holds it"
        case .notFound(let id): "no job \(id)"
        case .notCancellable(let id, let state): "job \(id) is \(state.rawValue) and can no longer be cancelled"
        case .invalid(let message): message
        case .database(let error): "\(error)"
        }
    }
}
