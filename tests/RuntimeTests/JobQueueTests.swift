import Foundation
import Logging
import PakitJobs
import PakitSQL
import Synchronization
import PakitTestSupport
import Testing

/// The durable job queue on real SQLite and PostgreSQL: claims race safely, leases pass on and
/// lock out the old holder, keys deduplicate, poison jobs stop, cancellation sticks.
@Suite("Job queue")
struct JobQueueTests {
    // MARK: claims

    @Test("N workers with their own database handles claim and complete M jobs: every job is done exactly once",
          arguments: JobTestDatabase.backends)
    func concurrentClaimers(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let queue = JobQueue(database: try await database.open())
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        for index in 0..<60 { try await queue.enqueue(JobRequest(kind: "test.work", payload: "{\"n\":\(index)}")) }
        let completed = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<6 {
                group.addTask {
                    let own = JobQueue(database: try await database.open())
                    var done: [String] = []
                    while let claim = try await own.claim(kinds: ["test.work"], holder: "node\(worker)/p", lease: .seconds(60)) {
                        try await own.complete(claim, result: "{\"by\":\(worker)}")
                        done.append(claim.id)
                    }
                    await own.database.close()
                    return done
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(completed.count == 60, "60 jobs, \(completed.count) completions")
        #expect(Set(completed).count == 60, "a job was completed twice")
        let done = try await queue.list(kind: "test.work", state: .done, limit: 1000)
        #expect(done.count == 60 && done.allSatisfy { $0.attempts == 1 && $0.result != nil })
        await queue.database.close()
    }

    @Test("an expired lease is taken over; the first holder can then neither heartbeat, complete nor fail",
          arguments: JobTestDatabase.backends)
    func leaseTakeover(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let clock = ManualUnixClock()
        let first = JobQueue(database: try await database.open(), clock: clock.read)
        try await JobSchema.migrate(first.database, logger: JobTestDatabase.logger)
        let second = JobQueue(database: try await database.open(), clock: clock.read)
        let (job, _) = try await first.enqueue(JobRequest(kind: "test.lease", payload: "{}"))

        let old = try #require(try await first.claim(kinds: ["test.lease"], holder: "a/1", lease: .seconds(30)))
        #expect(old.id == job.id && old.job.state == .running && old.job.attempts == 1)
        #expect(try await second.claim(kinds: ["test.lease"], holder: "b/1", lease: .seconds(30)) == nil, "a live lease was taken")
        clock.advance(milliseconds: 30_001)
        let new = try #require(try await second.claim(kinds: ["test.lease"], holder: "b/1", lease: .seconds(30)))
        #expect(new.id == job.id && new.job.attempts == 2 && new.job.leaseHolder == "b/1")

        await #expect(throws: JobQueueError.self) { try await first.heartbeat(old, lease: .seconds(30)) }
        await #expect(throws: JobQueueError.self) { try await first.complete(old, result: "{\"by\":\"a\"}") }
        await #expect(throws: JobQueueError.self) { try await first.fail(old, error: "late") }
        let finished = try await second.complete(new, result: "{\"by\":\"b\"}")
        #expect(finished.state == .done && finished.result == "{\"by\":\"b\"}")
        await #expect(throws: JobQueueError.self, "a job completes once") { try await second.complete(new, result: "{}") }
        #expect(try await first.get(job.id)?.result == "{\"by\":\"b\"}")
        await first.database.close()
        await second.database.close()
    }

    // MARK: enqueue

    @Test("the same idempotency key returns the existing job with created false; other kinds have their own keys",
          arguments: JobTestDatabase.backends)
    func duplicateEnqueue(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let queue = JobQueue(database: try await database.open())
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        let (job, created) = try await queue.enqueue(JobRequest(kind: "relay.submit", payload: "{\"tx\":1}", idempotencyKey: "block-7"))
        #expect(created)
        let (again, createdAgain) = try await queue.enqueue(JobRequest(kind: "relay.submit", payload: "{\"tx\":2}", idempotencyKey: "block-7"))
        #expect(!createdAgain && again.id == job.id && again.payload == "{\"tx\":1}", "a duplicate enqueue must return the first job")
        let (other, otherCreated) = try await queue.enqueue(JobRequest(kind: "mesh.replicate", payload: "{}", idempotencyKey: "block-7"))
        #expect(otherCreated && other.id != job.id)
        #expect(try await queue.list(kind: "relay.submit").count == 1)
        await #expect(throws: JobQueueError.self) { try await queue.enqueue(JobRequest(kind: "", payload: "{}")) }
        await #expect(throws: JobQueueError.self) { try await queue.list(limit: 0) }
        #expect(try await queue.list().count == 2, "refused requests must not add jobs")
        await queue.database.close()
    }

    // MARK: failure

    @Test("a failing job is retried after a backoff, then fails with its last error once its attempts are used up",
          arguments: JobTestDatabase.backends)
    func poisonJob(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let clock = ManualUnixClock()
        let queue = JobQueue(database: try await database.open(), clock: clock.read)
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        let (job, _) = try await queue.enqueue(JobRequest(kind: "test.poison", payload: "{}", maxAttempts: 3))
        let backoff = JobBackoff(base: .seconds(2), maximum: .seconds(60))
        for attempt in 1...3 {
            let claim = try #require(try await queue.claim(kinds: ["test.poison"], holder: "w/1", lease: .seconds(30)), "attempt \(attempt) not claimable")
            #expect(claim.job.attempts == attempt)
            let outcome = try await queue.fail(claim, error: "boom \(attempt)", backoff: backoff)
            if attempt < 3 {
                guard case .retrying(let notBefore) = outcome else { Issue.record("attempt \(attempt) was not retried"); return }
                #expect(notBefore > clock.now, "a retry must wait")
                #expect(try await queue.claim(kinds: ["test.poison"], holder: "w/1", lease: .seconds(30)) == nil, "claimed before its backoff ended")
                clock.advance(milliseconds: notBefore - clock.now)
            } else {
                #expect(outcome == .failed)
            }
        }
        let failed = try #require(try await queue.get(job.id))
        #expect(failed.state == .failed && failed.lastError == "boom 3" && failed.attempts == 3 && failed.completedAt != nil)
        clock.advance(milliseconds: 3_600_000)
        #expect(try await queue.claim(kinds: ["test.poison"], holder: "w/1", lease: .seconds(30)) == nil, "a failed job was claimed")
        await queue.database.close()
    }

    @Test("a job whose worker died on its last attempt fails when the lease expires; a permanent failure does not retry",
          arguments: JobTestDatabase.backends)
    func abandonedAndPermanent(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let clock = ManualUnixClock()
        let queue = JobQueue(database: try await database.open(), clock: clock.read)
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        let (abandoned, _) = try await queue.enqueue(JobRequest(kind: "test.once", payload: "{}", maxAttempts: 1))
        _ = try #require(try await queue.claim(kinds: ["test.once"], holder: "dead/1", lease: .seconds(5)))
        clock.advance(milliseconds: 5_001)
        #expect(try await queue.claim(kinds: ["test.once"], holder: "w/1", lease: .seconds(5)) == nil)
        #expect(try await queue.failAbandoned() == 1)
        #expect(try await queue.get(abandoned.id)?.state == .failed)

        let (bad, _) = try await queue.enqueue(JobRequest(kind: "test.once", payload: "{}", maxAttempts: 5))
        let claim = try #require(try await queue.claim(kinds: ["test.once"], holder: "w/1", lease: .seconds(5)))
        #expect(claim.id == bad.id)
        #expect(try await queue.fail(claim, error: "cannot ever work", retry: false) == .failed)
        #expect(try await queue.get(bad.id)?.state == .failed)
        await queue.database.close()
    }

    // MARK: cancel

    @Test("cancel stops queued and running jobs; the running holder's complete is then refused", arguments: JobTestDatabase.backends)
    func cancel(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let queue = JobQueue(database: try await database.open())
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        let (queued, _) = try await queue.enqueue(JobRequest(kind: "test.cancel", payload: "{}"))
        #expect(try await queue.cancel(queued.id).state == .cancelled)
        await #expect(throws: JobQueueError.self) { try await queue.cancel(queued.id) }
        await #expect(throws: JobQueueError.self) { try await queue.cancel(JobQueue.randomID()) }

        let (running, _) = try await queue.enqueue(JobRequest(kind: "test.cancel", payload: "{}"))
        let claim = try #require(try await queue.claim(kinds: ["test.cancel"], holder: "w/1", lease: .seconds(30)))
        #expect(claim.id == running.id)
        #expect(try await queue.cancel(running.id, reason: "operator").state == .cancelled)
        await #expect(throws: JobQueueError.self) { try await queue.heartbeat(claim, lease: .seconds(30)) }
        await #expect(throws: JobQueueError.self) { try await queue.complete(claim, result: "{}") }
        let after = try #require(try await queue.get(running.id))
        #expect(after.state == .cancelled && after.result == nil && after.lastError == "operator")
        #expect(try await queue.claim(kinds: ["test.cancel"], holder: "w/1", lease: .seconds(30)) == nil)
        await queue.database.close()
    }
}

/// A clock tests move by hand (Unix milliseconds).
final class ManualUnixClock: Sendable {
    private let value = Atomic<Int64>(1_700_000_000_000)
    var now: Int64 { value.load(ordering: .relaxed) }
    var read: @Sendable () -> Int64 { { [self] in self.now } }
    func advance(milliseconds: Int64) { value.add(milliseconds, ordering: .relaxed) }
}

/// One throwaway database per test: a SQLite file, or a fresh PostgreSQL database on the
/// server `PAKIT_TEST_POSTGRES_URL` names. Each `open()` is a separate handle (own connections).
struct JobTestDatabase: Sendable {
    static let logger = Logger(label: "test.jobs")
    let url: String
    let path: String?

    static var backends: [Backend] { Backend.available }

    static func create(_ backend: Backend) async throws -> JobTestDatabase {
        let directory = NSTemporaryDirectory() + "pakit-jobs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let url = try await backend.makeDatabaseURL(dataDirectory: directory, file: "jobs.sqlite")
        return JobTestDatabase(url: url, path: backend == .sqlite ? directory : nil)
    }

    func open() async throws -> any SQLDatabase {
        try await SQLDatabases.open(url: url, logger: Self.logger)
    }

    func remove() {
        guard let path else { return }
        try? FileManager.default.removeItem(atPath: path)
    }
}
