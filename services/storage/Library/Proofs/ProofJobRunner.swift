import AsyncHTTPClient
import Foundation
import Logging
import PakitConcurrency
import PakitContracts
import PakitCore
import PakitJobs
import PakitZK
import ServiceLifecycle

/// Runs seal and prove jobs from the runtime's durable job queue on the configured provers.
///
/// - **Claims, leases, recovery** are the queue's and its worker's (`PakitJobs.JobWorker`):
///   a job finishes exactly once; at start the jobs of this node's earlier process are queued
///   again at once, other nodes' when their leases expire; shutdown gives running jobs back.
/// - **Balance and bounds.** At most `provers × slotsPerProver` jobs are held; each attempt
///   takes a slot on the instance with the least outstanding work (`ProverPool`).
/// - **Retries.** A transport failure, a 5xx or a wrong answer (a tree or proof that does not
///   check out) marks the instance suspect and retries on another one, up to `maxAttempts`
///   prover requests (counted in the job's progress), then the job fails with the last error.
///   A `503` (busy, keys not ready) is not the job's fault and does not use up an attempt. A
///   refusal of the request itself (4xx), unreadable content or a corrupt tree fails the job.
final class ProofJobRunner: Service, Sendable {
    let work: ProofJobWork
    let worker: JobWorker
    let proverCount: Int

    init(store: ProofJobStore, pool: ProverPool, proverCount: Int, client: any ProverAPI, keys: VerifyingKeyCache,
         reader: DAGReader, files: CommitmentFiles, executors: ServiceExecutors, maxAttempts: Int, nodeID: String,
         lease: Duration = .seconds(30), logger: Logger) {
        let work = ProofJobWork(store: store, pool: pool, client: client, keys: keys, reader: reader, files: files,
                                executors: executors, maxAttempts: maxAttempts, logger: logger)
        self.work = work
        self.proverCount = proverCount
        let handlers = [ProofJobKind.seal, .prove].map { kind in
            JobHandler(kind: kind.queueKind) { context in try await work.run(context) }
        }
        self.worker = JobWorker(queue: store.queue, node: nodeID, handlers: handlers,
                                concurrency: max(1, proverCount * pool.slotsPerProver), lease: lease, logger: logger)
    }

    /// Tells the worker to look for work now (a job was queued).
    func wake() { work.store.queue.wakeWorkers() }

    // MARK: Service

    func run() async throws {
        guard proverCount > 0 else {
            // Nothing can run jobs; they stay queued for a configuration with provers.
            try? await gracefulShutdown()
            return
        }
        do {
            let removed = await work.files.removeLeftovers(keeping: try await work.store.doneTreeFiles())
            if removed > 0 { work.logger.notice("removed unfinished commitment tree files", metadata: ["files": "\(removed)"]) }
        } catch {
            work.logger.error("cannot list finished commitments; leftover tree files stay", metadata: ["error": "\(error)"])
        }
        try await worker.run()
    }
}

/// Why a job ends without a result.
enum JobEnd: Error {
    /// Permanently: the job is marked failed with this message.
    case failed(String)
    /// The claim was lost (another runner has the job, or it was cancelled): stop without writing.
    case claimLost
}

/// The seal and prove handlers, with what they use.
struct ProofJobWork: Sendable {
    let store: ProofJobStore
    let pool: ProverPool
    let client: any ProverAPI
    let keys: VerifyingKeyCache
    let reader: DAGReader
    let files: CommitmentFiles
    /// Tree checks and pairings run on `executors.compute`.
    let executors: ServiceExecutors
    let maxAttempts: Int
    let logger: Logger

    /// Runs one claimed job to its end. Every ending is written here under the claim (done, or
    /// failed for good); cancellation (shutdown, lost claim) is left to the worker.
    func run(_ context: JobContext) async throws -> String? {
        let job: ProofJobRow
        do {
            job = try ProofJobRow(context.job)
        } catch {
            try await context.fail(error: "\(error)", retry: false)
            return nil
        }
        do {
            switch job.kind {
            case .seal: try await seal(job, context: context)
            case .prove: try await prove(job, context: context)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch JobEnd.claimLost {
            logger.warning("a proof job was claimed by another runner or cancelled", metadata: ["job": "\(job.id)"])
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            let message: String
            switch error {
            case JobEnd.failed(let text): message = text
            case let error as StorageError: message = error.serviceError.message
            default: message = "\(error)"
            }
            logger.warning("proof job failed", metadata: ["job": "\(job.id)", "kind": "\(job.kind.rawValue)", "error": "\(message)"])
            if try await store.fail(job, context, error: message) {
                (job.kind == .seal ? StorageMetrics.sealsFailed : StorageMetrics.proofsFailed).increment()
            }
        }
        return nil
    }

    // MARK: attempts

    /// Calls `call` on prover instances until it succeeds, following the retry rules above.
    func withAttempts<T: Sendable>(
        _ job: ProofJobRow, context: JobContext, _ call: @Sendable (String) async throws -> T
    ) async throws -> T {
        var excluded = Set<String>()
        var progress = job.progress
        var unavailableAnswers = 0
        while true {
            try Task.checkCancellation()
            guard progress.proverAttempts < maxAttempts else {
                let attempts = progress.proverAttempts
                throw JobEnd.failed("gave up after \(attempts) prover attempt\(attempts == 1 ? "" : "s"); last error: \(progress.lastError ?? "none recorded")")
            }
            let prover = try await pool.acquire(excluding: excluded)
            progress.proverAttempts += 1
            progress.lastProver = prover
            do {
                try await context.saveProgress(ProofJobStore.json(progress))
            } catch .leaseLost {
                await pool.release(prover, outcome: .healthy)
                throw JobEnd.claimLost
            } catch {
                await pool.release(prover, outcome: .healthy)
                throw error
            }
            let number = progress.proverAttempts
            do {
                let result = try await call(prover)
                await pool.release(prover, outcome: .healthy)
                return result
            } catch let error as ProverCallError {
                if Task.isCancelled {
                    await pool.release(prover, outcome: .healthy)
                    throw CancellationError()
                }
                guard error.retryable else {
                    await pool.release(prover, outcome: .healthy)
                    throw JobEnd.failed(error.message)
                }
                excluded.insert(prover)
                progress.lastError = error.message
                if case .unavailable(let seconds) = error.kind {
                    await pool.release(prover, outcome: .unavailable(retryAfterSeconds: seconds))
                    unavailableAnswers += 1
                    if unavailableAnswers <= 10 * maxAttempts { progress.proverAttempts -= 1 }
                } else {
                    await pool.release(prover, outcome: .failed)
                }
                StorageMetrics.proverAttemptsFailed.increment()
                logger.warning("prover attempt failed; retrying on another instance",
                               metadata: ["job": "\(job.id)", "prover": "\(prover)", "attempt": "\(number)", "error": "\(error.message)"])
                try? await context.saveProgress(ProofJobStore.json(progress))
            } catch {
                await pool.release(prover, outcome: .healthy)
                throw error
            }
        }
    }
}
