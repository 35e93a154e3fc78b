import Foundation
import Logging
import PakitJobs
import PakitSQL
import ServiceLifecycle
import Synchronization
import PakitTestSupport
import Testing

/// The job worker as a lifecycle service on real databases: it runs handlers, stops a handler
/// whose claim is gone, gives jobs back at shutdown and resumes them after a restart, and on
/// PostgreSQL wakes on `NOTIFY` from another database handle.
@Suite("Job worker")
struct JobWorkerTests {
    @Test("a worker runs enqueued jobs with their handlers; a throwing handler is retried, then its job fails",
          arguments: JobTestDatabase.backends)
    func runsJobs(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let queue = JobQueue(database: try await database.open())
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        let handlers = [
            JobHandler(kind: "test.echo") { context in context.job.payload },
            JobHandler(kind: "test.broken") { context in throw JobFailure.retry("broken on attempt \(context.job.attempts)") },
        ]
        let worker = JobWorker(queue: queue, node: "n1", handlers: handlers, concurrency: 3,
                               backoff: JobBackoff(base: .milliseconds(1), maximum: .milliseconds(2)), logger: JobTestDatabase.logger)
        try await WorkerRun.with(worker) {
            var ids: [String] = []
            for index in 0..<10 { ids.append(try await queue.enqueue(JobRequest(kind: "test.echo", payload: "{\"n\":\(index)}")).job.id) }
            let broken = try await queue.enqueue(JobRequest(kind: "test.broken", payload: "{}", maxAttempts: 2)).job.id
            for (index, id) in ids.enumerated() {
                let job = try await waitForFinal(queue, id)
                #expect(job.state == .done && job.result == "{\"n\":\(index)}")
            }
            let failed = try await waitForFinal(queue, broken)
            #expect(failed.state == .failed && failed.attempts == 2 && failed.lastError == "broken on attempt 2")
        }
        await queue.database.close()
    }

    @Test("cancelling a running job stops its handler (the heartbeat finds the claim gone)", arguments: JobTestDatabase.backends)
    func cancelStopsHandler(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let queue = JobQueue(database: try await database.open())
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        let events = Events()
        let handler = JobHandler(kind: "test.block") { context in
            events.record("started \(context.job.id)")
            await waitUntilCancelled()
            events.record("stopped \(context.job.id)")
            throw CancellationError()
        }
        let worker = JobWorker(queue: queue, node: "n1", handlers: [handler], concurrency: 1, lease: .milliseconds(300),
                               logger: JobTestDatabase.logger)
        try await WorkerRun.with(worker) {
            let id = try await queue.enqueue(JobRequest(kind: "test.block", payload: "{}")).job.id
            try await events.wait(for: "started \(id)")
            try await queue.cancel(id, reason: "operator")
            try await events.wait(for: "stopped \(id)")
            let job = try #require(try await queue.get(id))
            #expect(job.state == .cancelled && job.lastError == "operator", "the cancelled job changed after its handler stopped")
        }
        await queue.database.close()
    }

    @Test("graceful shutdown gives a running job back uncounted; the restarted worker finishes it", arguments: JobTestDatabase.backends)
    func shutdownAndResume(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let queue = JobQueue(database: try await database.open())
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        let events = Events()
        let blocking = JobHandler(kind: "test.resume") { context in
            events.record("started \(context.job.id)")
            await waitUntilCancelled()
            throw CancellationError()
        }
        let id = try await queue.enqueue(JobRequest(kind: "test.resume", payload: "{\"x\":1}")).job.id
        try await WorkerRun.with(JobWorker(queue: queue, node: "n1", handlers: [blocking], concurrency: 1, logger: JobTestDatabase.logger)) {
            try await events.wait(for: "started \(id)")
            #expect(try await queue.get(id)?.state == .running)
        }
        let givenBack = try #require(try await queue.get(id))
        #expect(givenBack.state == .queued && givenBack.attempts == 0 && givenBack.leaseHolder == nil,
                "shutdown must give the job back uncounted (state \(givenBack.state), attempts \(givenBack.attempts))")

        let restartedQueue = JobQueue(database: try await database.open())
        let finishing = JobHandler(kind: "test.resume") { context in "{\"resumed\":\(context.job.attempts)}" }
        try await WorkerRun.with(JobWorker(queue: restartedQueue, node: "n1", handlers: [finishing], concurrency: 1, logger: JobTestDatabase.logger)) {
            let job = try await waitForFinal(restartedQueue, id)
            #expect(job.state == .done && job.result == "{\"resumed\":1}")
        }
        await restartedQueue.database.close()
        await queue.database.close()
    }

    @Test("PostgreSQL: jobs enqueued through another database handle wake a worker that would otherwise wait an hour",
          .enabled(if: Backend.available.contains(.postgres), "needs PAKIT_TEST_POSTGRES_URL (tests/run-all.sh starts a PostgreSQL)"))
    func notifyWakesWorker() async throws {
        let database = try await JobTestDatabase.create(.postgres)
        let workerQueue = JobQueue(database: try await database.open())
        try await JobSchema.migrate(workerQueue.database, logger: JobTestDatabase.logger)
        let producer = JobQueue(database: try await database.open())
        let worker = JobWorker(queue: workerQueue, node: "n1", handlers: [JobHandler(kind: "test.notify") { _ in "{}" }],
                               concurrency: 1, pollInterval: .seconds(3600), logger: JobTestDatabase.logger)
        try await WorkerRun.with(worker) {
            // The first may be found when the listener subscribes; the second can only be
            // found through its NOTIFY (the worker's fallback timer is an hour).
            for round in 0..<2 {
                let id = try await producer.enqueue(JobRequest(kind: "test.notify", payload: "{\"round\":\(round)}")).job.id
                #expect(try await waitForFinal(producer, id).state == .done, "round \(round) did not run")
            }
        }
        await producer.database.close()
        await workerQueue.database.close()
    }
}

/// Runs a worker in a ServiceGroup for the duration of `body`, then shuts it down gracefully.
enum WorkerRun {
    static func with(_ worker: JobWorker, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: [.init(service: worker)], logger: JobTestDatabase.logger))
        let task = Task { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

/// Waits (polling the database, bounded) until the job is done, failed or cancelled.
func waitForFinal(_ queue: JobQueue, _ id: String) async throws -> Job {
    let deadline = ContinuousClock.now + .seconds(120)
    while ContinuousClock.now < deadline {
        if let job = try await queue.get(id), job.state.isFinal { return job }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw JobTestFailure("job \(id) did not finish within 120 s")
}

/// Suspends until the current task is cancelled.
func waitUntilCancelled() async {
    let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    await withTaskCancellationHandler {
        for await _ in stream {}
    } onCancel: {
        continuation.finish()
    }
}

/// What handlers report, awaited by the test.
final class Events: Sendable {
    private let seen = Mutex<[String]>([])
    func record(_ event: String) { seen.withLock { $0.append(event) } }
    func wait(for event: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if seen.withLock({ $0.contains(event) }) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw JobTestFailure("never saw '\(event)'")
    }
}

struct JobTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
