import AsyncHTTPClient
import Foundation
import Logging
import PakitConcurrency
import PakitContracts
import PakitCore
import PakitZK
import ServiceLifecycle
import Synchronization

/// Runs seal and prove jobs from the durable queue (`proof_jobs`) on the configured provers.
///
/// - **Claims.** Each job is claimed with a conditional `UPDATE` under a claim id
///   `<node>/<process>/<random>` and a lease that a heartbeat renews. Every later write names
///   the claim, so a job finishes exactly once even if two runners ever raced for it.
/// - **Recovery.** At start the claims of this node's earlier processes are released at once
///   (nothing runs them any more); other nodes' expired leases are claimable as they expire.
/// - **Balance and bounds.** At most `provers × slotsPerProver` jobs are held; each attempt
///   takes a slot on the instance with the least outstanding work (`ProverPool`).
/// - **Retries.** A transport failure, a 5xx or a wrong answer (a tree or proof that does not
///   check out) marks the instance suspect and retries on another one, up to `maxAttempts`
///   prover requests, then the job fails with the last error. A `503` (busy, keys not ready)
///   is not the job's fault and does not use up an attempt. A refusal of the request itself
///   (4xx), unreadable content or a corrupt tree fails the job at once.
final class ProofJobRunner: Service, Sendable {
    let store: ProofJobStore
    let pool: ProverPool
    let client: any ProverAPI
    let keys: VerifyingKeyCache
    let reader: DAGReader
    let files: CommitmentFiles
    /// Tree checks and pairings run on `executors.compute`.
    let executors: ServiceExecutors
    let maxAttempts: Int
    let proverCount: Int
    /// `<node>/`: claims of any process of this node.
    let nodePrefix: String
    /// `<node>/<process>/`: claims of this process.
    let processPrefix: String
    let lease: Duration
    let logger: Logger
    private let wakeup = WakeSignal()
    private let held = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    init(store: ProofJobStore, pool: ProverPool, proverCount: Int, client: any ProverAPI, keys: VerifyingKeyCache,
         reader: DAGReader, files: CommitmentFiles, executors: ServiceExecutors, maxAttempts: Int, nodeID: String, lease: Duration = .seconds(30),
         logger: Logger) {
        self.store = store
        self.pool = pool
        self.proverCount = proverCount
        self.client = client
        self.keys = keys
        self.reader = reader
        self.files = files
        self.executors = executors
        self.maxAttempts = maxAttempts
        self.nodePrefix = "\(nodeID)/"
        self.processPrefix = "\(nodeID)/\(ProofJobStore.newJobID().prefix(12))/"
        self.lease = lease
        self.logger = logger
    }

    /// Tells the dispatcher to look for work now (a job was queued).
    func wake() { wakeup.signal() }

    // MARK: Service

    func run() async throws {
        guard proverCount > 0 else {
            // Nothing can run jobs; they stay queued for a configuration with provers.
            try? await gracefulShutdown()
            return
        }
        do {
            let released = try await store.release(claimPrefix: nodePrefix)
            if released > 0 { logger.notice("resuming proof jobs of the previous process", metadata: ["jobs": "\(released)"]) }
            let removed = await files.removeLeftovers(keeping: try await store.doneTreeFiles())
            if removed > 0 { logger.notice("removed unfinished commitment tree files", metadata: ["files": "\(removed)"]) }
        } catch {
            logger.error("proof job recovery failed; jobs resume when their leases expire", metadata: ["error": "\(error)"])
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                await self.dispatch(into: &group)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wakeup.signal()
        }
        // Jobs interrupted by the shutdown go back to the queue for the next start.
        _ = try? await store.release(claimPrefix: processPrefix)
    }

    /// Claims jobs while there is capacity, until shutdown.
    private func dispatch(into group: inout DiscardingTaskGroup) async {
        let capacity = proverCount * pool.slotsPerProver
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            if held.load(ordering: .relaxed) < capacity {
                let claim = processPrefix + ProofJobStore.newJobID().prefix(12)
                do {
                    if let job = try await store.claimNext(claim: claim, leaseUntil: leaseEnd()) {
                        held.add(1, ordering: .relaxed)
                        group.addTask {
                            await self.execute(job, claim: claim)
                            self.held.subtract(1, ordering: .relaxed)
                            self.wakeup.signal()
                        }
                        continue
                    }
                } catch {
                    logger.error("cannot claim proof jobs", metadata: ["error": "\(error)"])
                }
            }
            // New jobs wake the dispatcher; the timeout covers leases that expire and jobs
            // queued by other processes on a shared database.
            await wakeup.wait(timeout: .seconds(1))
        }
    }

    private func leaseEnd() -> Int64 {
        ProofJobStore.nowMilliseconds() + Int64(lease.components.seconds * 1000)
    }

    /// Works on one claimed job while a heartbeat keeps its lease; losing the lease cancels the work.
    private func execute(_ job: ProofJobRow, claim: String) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.work(job, claim: claim) }
            group.addTask { await self.heartbeat(job.id, claim: claim) }
            await group.next()
            group.cancelAll()
        }
    }

    private func heartbeat(_ id: String, claim: String) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: lease / 3)
            if Task.isCancelled { return }
            do {
                if try await !store.renewLease(id: id, claim: claim, leaseUntil: leaseEnd()) {
                    logger.warning("lost the lease of a proof job; another runner has it", metadata: ["job": "\(id)"])
                    return
                }
            } catch {
                logger.warning("cannot renew a proof job lease", metadata: ["job": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// Why a job ends without a result.
    enum JobEnd: Error {
        /// Permanently: the job is marked failed with this message.
        case failed(String)
        /// The claim was lost (another runner has the job): stop without writing.
        case claimLost
    }

    private func work(_ job: ProofJobRow, claim: String) async {
        do {
            switch job.kind {
            case .seal: try await seal(job, claim: claim)
            case .prove: try await prove(job, claim: claim)
            }
        } catch is CancellationError {
            // Shutdown or a lost lease: the job is released or already someone else's.
        } catch JobEnd.claimLost {
            logger.warning("a proof job was claimed by another runner", metadata: ["job": "\(job.id)"])
        } catch {
            if Task.isCancelled { return }
            let message: String
            switch error {
            case JobEnd.failed(let text): message = text
            case let error as StorageError: message = error.serviceError.message
            default: message = "\(error)"
            }
            logger.warning("proof job failed", metadata: ["job": "\(job.id)", "kind": "\(job.kind.rawValue)", "error": "\(message)"])
            do {
                if try await store.fail(job, claim: claim, error: message) {
                    (job.kind == .seal ? StorageMetrics.sealsFailed : StorageMetrics.proofsFailed).increment()
                }
            } catch {
                logger.error("cannot record a failed proof job", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
        }
    }

    // MARK: attempts

    /// Calls `call` on prover instances until it succeeds, following the retry rules above.
    func withAttempts<T: Sendable>(
        _ job: ProofJobRow, claim: String, _ call: @Sendable (String) async throws -> T
    ) async throws -> T {
        var excluded = Set<String>()
        var attempts = job.attempts
        var lastError = job.error
        var unavailableAnswers = 0
        while true {
            try Task.checkCancellation()
            guard attempts < maxAttempts else {
                throw JobEnd.failed("gave up after \(attempts) prover attempt\(attempts == 1 ? "" : "s"); last error: \(lastError ?? "none recorded")")
            }
            let prover = try await pool.acquire(excluding: excluded)
            let started: Int?
            do {
                started = try await store.startAttempt(id: job.id, claim: claim, prover: prover, leaseUntil: leaseEnd())
            } catch {
                await pool.release(prover, outcome: .healthy)
                throw error
            }
            guard let number = started else {
                await pool.release(prover, outcome: .healthy)
                throw JobEnd.claimLost
            }
            attempts = number
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
                lastError = error.message
                if case .unavailable(let seconds) = error.kind {
                    await pool.release(prover, outcome: .unavailable(retryAfterSeconds: seconds))
                    unavailableAnswers += 1
                    if unavailableAnswers <= 10 * maxAttempts {
                        attempts = (try? await store.uncountAttempt(id: job.id, claim: claim)) ?? attempts
                    }
                } else {
                    await pool.release(prover, outcome: .failed)
                }
                StorageMetrics.proverAttemptsFailed.increment()
                logger.warning("prover attempt failed; retrying on another instance",
                               metadata: ["job": "\(job.id)", "prover": "\(prover)", "attempt": "\(number)", "error": "\(error.message)"])
                try? await store.noteFailure(id: job.id, claim: claim, error: error.message)
            } catch {
                await pool.release(prover, outcome: .healthy)
                throw error
            }
        }
    }
}
