import Foundation
@testable import PakitJobs
import PakitSQL
import PakitTestSupport
import Synchronization
import Testing

/// A real worker process (`pakit-job-worker-fixture`) killed with SIGKILL in the middle of a
/// job: nothing gives the job back, its lease expires, a worker of another node takes it over
/// and finishes it once, and the dead worker's claim can no longer write.
@Suite("Job worker killed mid-job")
struct JobWorkerKillTests {
    /// The fixture's job kind (`JobWorkerFixture.kind`).
    static let kind = "fixture.block"

    /// What the fixture writes to `<dir>/<job id>.started` (`JobWorkerFixture.StartedMarker`).
    struct StartedMarker: Decodable {
        let job: String
        let holder: String
        let token: String
        let attempt: Int
    }

    @Test("kill -9 of a worker mid-job: the lease expires, another worker finishes the job once, the dead claim is refused",
          arguments: JobTestDatabase.backends)
    func killedWorkerIsTakenOver(backend: Backend) async throws {
        let database = try await JobTestDatabase.create(backend)
        defer { database.remove() }
        let directory = NSTemporaryDirectory() + "pakit-job-kill-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = JobQueue(database: try await database.open())
        try await JobSchema.migrate(queue.database, logger: JobTestDatabase.logger)
        let (enqueued, _) = try await queue.enqueue(JobRequest(kind: Self.kind, payload: "{\"n\":1}", maxAttempts: 3))
        let id = enqueued.id

        // 1. A real worker process claims the job and is killed while its handler runs. The
        //    lease is the system's setting under test (short, so the takeover comes soon),
        //    not a bound anything is measured against.
        let logPath = "\(directory)/fixture.log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw TestFailure("cannot create \(logPath)") }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        let fixture = try ServiceProcess.launch(try BuiltProduct.path("pakit-job-worker-fixture"),
            ["--database", database.url, "--node", "doomed", "--lease-ms", "2000", "--directory", directory], output: log)
        defer { ServiceProcess.kill(fixture) }
        let markerText: String
        do {
            markerText = try await ServiceProcess.waitForFile("\(directory)/\(id).started", while: fixture, timeout: .seconds(120))
        } catch {
            throw TestFailure("\(error); fixture output:\n\(Self.read(logPath))")
        }
        let marker = try JSONDecoder().decode(StartedMarker.self, from: Data(markerText.utf8))
        #expect(marker.job == id && marker.attempt == 1 && marker.holder.hasPrefix("doomed/"), "unexpected marker \(markerText)")
        // The marker's token is the claim the database holds, so refusing it below means the
        // takeover revoked it (not that the test made a token up).
        let running = try #require(try await queue.get(id))
        #expect(running.state == .running && running.attempts == 1 && running.leaseHolder == marker.holder,
                "before the kill: \(running.state), attempts \(running.attempts), holder \(running.leaseHolder ?? "none")")
        #expect(try await Self.leaseToken(queue, id) == marker.token, "the marker's token is not the job's lease token")

        ServiceProcess.kill(fixture)
        #expect(fixture.terminationReason == .uncaughtSignal && fixture.terminationStatus == SIGKILL,
                "the fixture was not killed by SIGKILL (reason \(fixture.terminationReason.rawValue), status \(fixture.terminationStatus))")
        let orphaned = try #require(try await queue.get(id))
        #expect(orphaned.state == .running && orphaned.leaseHolder == marker.holder,
                "a killed worker gives nothing back: the job must still be running under it, not \(orphaned.state)")

        // 2. A worker of another node (so start-up recovery does not apply: only the lease's
        //    expiry lets it take the job). Its handler waits until the test has tried the dead
        //    claim while the job runs under the new one.
        // The dead worker's claim, rebuilt from its token (`@testable`: JobClaim's memberwise
        // init is internal, so production code cannot forge one).
        let deadClaim = JobClaim(job: orphaned, token: marker.token)
        let runs = Attempts()
        let (gate, gateOpener) = AsyncStream.makeStream(of: Void.self)
        let events = Events()
        let survivor = JobWorker(queue: queue, node: "survivor", handlers: [
            JobHandler(kind: Self.kind) { context in
                runs.record(context.job.attempts)
                events.record("running \(context.job.id)")
                for await _ in gate { break }
                return "{\"by\":\"survivor\",\"attempt\":\(context.job.attempts)}"
            },
        ], concurrency: 1, pollInterval: .milliseconds(200), logger: JobTestDatabase.logger)
        try await WorkerRun.with(survivor) {
            try await events.wait(for: "running \(id)")
            let takenOver = try #require(try await queue.get(id))
            #expect(takenOver.state == .running && takenOver.attempts == 2 && takenOver.leaseHolder == survivor.holder,
                    "after the lease expired: \(takenOver.state), attempts \(takenOver.attempts), holder \(takenOver.leaseHolder ?? "none")")
            try await Self.expectLeaseLost(queue, deadClaim, while: "running under the survivor")
            gateOpener.yield()
            let finished = try await waitForFinal(queue, id)
            #expect(finished.state == .done, "the job ended \(finished.state): \(finished.lastError ?? "")")
            #expect(finished.result == "{\"by\":\"survivor\",\"attempt\":2}" && finished.attempts == 2,
                    "result \(finished.result ?? "none"), attempts \(finished.attempts)")
        }
        #expect(runs.seen == [2], "the survivor ran the job as attempts \(runs.seen); expected once, as attempt 2")

        // 3. Done once: the dead claim still cannot write, and nothing changed the job.
        try await Self.expectLeaseLost(queue, deadClaim, while: "done")
        let final = try #require(try await queue.get(id))
        #expect(final.state == .done && final.result == "{\"by\":\"survivor\",\"attempt\":2}" && final.attempts == 2 && final.leaseHolder == nil)
        #expect(try await queue.list(kind: Self.kind, limit: 10).map(\.id) == [id], "the takeover must not create jobs")
        await queue.database.close()
    }

    /// The claim's `complete` must be refused with `leaseLost` and write nothing.
    static func expectLeaseLost(_ queue: JobQueue, _ claim: JobClaim, while situation: String) async throws {
        let before = try #require(try await queue.get(claim.id))
        do throws(JobQueueError) {
            try await queue.complete(claim, result: "{\"by\":\"the dead worker\"}")
            Issue.record("the killed worker's claim completed the job while it was \(situation)")
        } catch .leaseLost(let lost) {
            #expect(lost == claim.id)
        } catch {
            Issue.record("complete with the killed worker's claim (\(situation)) failed with \(error), not leaseLost")
        }
        // Outcome fields only: the survivor's heartbeat may move its lease in between.
        let after = try #require(try await queue.get(claim.id))
        #expect(after.state == before.state && after.result == before.result && after.attempts == before.attempts
                && after.leaseHolder == before.leaseHolder && after.completedAt == before.completedAt,
                "a refused complete changed the job (\(situation)): \(before) became \(after)")
    }

    /// The job's current lease token, read from the row (`Job` does not carry it).
    static func leaseToken(_ queue: JobQueue, _ id: String) async throws -> String? {
        try await queue.database.query("SELECT lease_token FROM jobs WHERE id = $1", [.text(id)]).first?.optionalText("lease_token")
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(none)"
    }
}

/// The attempts a handler ran, in order.
private final class Attempts: Sendable {
    private let attempts = Mutex<[Int]>([])
    func record(_ attempt: Int) { attempts.withLock { $0.append(attempt) } }
    var seen: [Int] { attempts.withLock { $0 } }
}
