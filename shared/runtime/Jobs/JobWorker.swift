import Logging
import PakitConcurrency
import PakitSQL
import ServiceLifecycle
import Synchronization

/// Runs queued jobs with the registered handlers, as a swift-service-lifecycle `Service`.
///
/// - **Claims** at most `concurrency` jobs at a time, of the kinds it has handlers for, under
///   the holder `<node>/<process>`.
/// - **Heartbeats** each running job every lease/3; when a heartbeat finds the claim gone (the
///   lease passed to another worker, or the job was cancelled) that job's task is cancelled.
/// - **Wakes** on this process's enqueues (`WakeSignal`), on PostgreSQL `NOTIFY` from other
///   processes, and otherwise every `pollInterval` (leases expire and backoffs end without
///   anyone telling).
/// - **Shutdown** cancels the running handlers and gives their jobs back (`release`).
/// - **Restart**: jobs still held by an earlier process of the same node are queued again at
///   once (`recover(holderPrefix:)`); other nodes' jobs are taken over when their leases expire.
public final class JobWorker: Service, Sendable {
    public let queue: JobQueue
    /// `<node>/<process>`: written to `lease_holder`.
    public let holder: String
    let nodePrefix: String
    let handlers: [String: JobHandler]
    let concurrency: Int
    let lease: Duration
    let pollInterval: Duration
    let backoff: JobBackoff
    let logger: Logger
    private let wakeup: WakeSignal
    private let running = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    /// `node` names this node stably across restarts (e.g. from its identity key); it must not
    /// contain `/`.
    public init(queue: JobQueue, node: String, handlers: [JobHandler], concurrency: Int, lease: Duration = .seconds(30),
                pollInterval: Duration = .seconds(1), backoff: JobBackoff = JobBackoff(), logger: Logger) {
        self.queue = queue
        self.nodePrefix = "\(node)/"
        self.holder = "\(node)/\(JobQueue.randomID().prefix(12))"
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { _, last in last })
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self.pollInterval = pollInterval
        self.backoff = backoff
        self.logger = logger
        self.wakeup = queue.makeWakeSignal()
    }

    /// Jobs this worker is running now.
    public var runningCount: Int { running.load(ordering: .relaxed) }

    // MARK: Service

    public func run() async throws {
        do {
            let recovered = try await queue.recover(holderPrefix: nodePrefix)
            if recovered > 0 { logger.notice("resuming jobs of this node's previous process", metadata: ["jobs": "\(recovered)"]) }
        } catch {
            logger.error("job recovery failed; the jobs resume when their leases expire", metadata: ["error": "\(error)"])
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                if let notifications = self.queue.database.notifications(channel: JobSchema.channel) {
                    group.addTask { await self.forward(notifications) }
                }
                await self.dispatch(into: &group)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wakeup.signal()
        }
        // The jobs whose handlers the shutdown stopped go back to the queue, not counted.
        do {
            let released = try await queue.release(holder: holder)
            if released > 0 { logger.notice("gave running jobs back to the queue at shutdown", metadata: ["jobs": "\(released)"]) }
        } catch {
            logger.error("cannot give jobs back at shutdown; they resume at the next start", metadata: ["error": "\(error)"])
        }
    }

    /// Turns `NOTIFY` of the kinds handled here into wake-ups.
    private func forward(_ notifications: AsyncStream<SQLNotification>) async {
        for await notification in notifications {
            switch notification {
            case .listening: wakeup.signal()
            case .message(let kind): if handlers[kind] != nil { wakeup.signal() }
            }
            if stopping.load(ordering: .relaxed) { return }
        }
    }

    private func dispatch(into group: inout DiscardingTaskGroup) async {
        let kinds = handlers.keys.sorted()
        while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
            if running.load(ordering: .relaxed) < concurrency {
                do {
                    if let claim = try await queue.claim(kinds: kinds, holder: holder, lease: lease), let handler = handlers[claim.job.kind] {
                        running.add(1, ordering: .relaxed)
                        group.addTask {
                            await self.execute(claim, handler)
                            self.running.subtract(1, ordering: .relaxed)
                            self.wakeup.signal()
                        }
                        continue
                    }
                    try await queue.failAbandoned()
                } catch {
                    logger.error("cannot claim jobs", metadata: ["error": "\(error)"])
                }
            }
            await wakeup.wait(timeout: pollInterval)
        }
    }

    /// How one of a job's two tasks ended.
    private enum Ended: Sendable {
        case handler(Result<String?, any Error>)
        case claimLost
        case heartbeatStopped
    }

    /// Runs the handler while a heartbeat keeps the lease; records the outcome under the claim.
    private func execute(_ claim: JobClaim, _ handler: JobHandler) async {
        let context = JobContext(claim: claim, queue: queue, lease: lease, finished: FinishFlag())
        let (outcome, claimLost) = await withTaskGroup(of: Ended.self) { group -> (Result<String?, any Error>, Bool) in
            group.addTask {
                do { return .handler(.success(try await handler.run(context))) } catch { return .handler(.failure(error)) }
            }
            group.addTask { await self.heartbeat(claim) ? .claimLost : .heartbeatStopped }
            var outcome: Result<String?, any Error> = .failure(CancellationError())
            var claimLost = false
            for await ended in group {
                switch ended {
                case .handler(let result):
                    outcome = result
                    group.cancelAll()  // stops the heartbeat
                case .claimLost:
                    claimLost = true
                    group.cancelAll()  // stops the handler: the job is no longer ours
                case .heartbeatStopped:
                    break
                }
            }
            return (outcome, claimLost)
        }
        let metadata: Logger.Metadata = ["job": "\(claim.id)", "kind": "\(claim.job.kind)", "attempt": "\(claim.job.attempts)"]
        if claimLost {
            logger.warning("lost a job's claim (lease taken over or job cancelled); its handler was stopped", metadata: metadata)
            return
        }
        do {
            switch outcome {
            case .success(let result):
                if !context.finished.isSet { try await queue.complete(claim, result: result) }
            case .failure(let error):
                if stopping.load(ordering: .relaxed) || Task.isCancelled {
                    // Shutdown: given back below, after the task group (not from a cancelled task).
                    return
                }
                let failure = error as? JobFailure
                let message = failure?.message ?? "\(error)"
                let result = try await queue.fail(claim, error: message, retry: !(failure?.permanent ?? false), backoff: backoff)
                logger.warning("job attempt failed", metadata: metadata.merging(["error": "\(message)", "outcome": "\(result)"]) { $1 })
            }
        } catch JobQueueError.leaseLost {
            // Finished by the handler in its own transaction, cancelled, or taken over.
        } catch {
            logger.error("cannot record a job's outcome; it is retried when its lease expires", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// Renews the lease every lease/3. Returns true when the claim is lost, false when cancelled.
    private func heartbeat(_ claim: JobClaim) async -> Bool {
        while true {
            do {
                try await Task.sleep(for: lease / 3)
            } catch {
                return false
            }
            do {
                try await queue.heartbeat(claim, lease: lease)
            } catch .leaseLost {
                return true
            } catch {
                logger.warning("cannot renew a job's lease", metadata: ["job": "\(claim.id)", "error": "\(error)"])
            }
        }
    }
}
