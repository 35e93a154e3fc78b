// TEST FIXTURE, not part of Pakit: no service, image or release ships this executable
// (the Dockerfile builds named products only). The runtime tests start it to have a REAL job
// worker process they can kill with SIGKILL in the middle of a job.
import Foundation
import Logging
import PakitConcurrency
import PakitFiles
import PakitJobs
import PakitSQL
import ServiceLifecycle
import UnixSignals

/// `pakit-job-worker-fixture --database URL --node NAME --lease-ms N --directory DIR`
///
/// A test fixture (see the file header): migrates the job schema and runs one real
/// `JobWorker` (node `NAME`, lease `N` ms, one job at a time) with a handler for
/// `JobWorkerFixture.kind`. When that handler starts a job it writes `DIR/<job id>.started`
/// atomically (a `StartedMarker` as JSON: the claim's holder and lease token, so the test can
/// try the dead worker's writes) and then waits, without finishing, until it is stopped:
/// SIGKILL (what the test does) or SIGTERM/SIGINT (graceful shutdown through the service group,
/// like any service: the job is given back). Exits 2 on bad arguments, 1 when it cannot run.
enum JobWorkerFixture {
    /// The job kind the fixture's handler runs.
    static let kind = "fixture.block"

    /// What `<job id>.started` holds.
    struct StartedMarker: Codable {
        let job: String
        let holder: String
        let token: String
        let attempt: Int
    }

    struct Options {
        let databaseURL: String
        let node: String
        let lease: Duration
        let directory: String
    }

    static let usage = "usage: pakit-job-worker-fixture --database URL --node NAME --lease-ms MILLISECONDS --directory DIR"

    static func parse(_ arguments: [String]) -> Options? {
        var values: [String: String] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let flag = arguments[index]
            let valueIndex = arguments.index(after: index)
            guard ["--database", "--node", "--lease-ms", "--directory"].contains(flag), valueIndex < arguments.endIndex else { return nil }
            values[flag] = arguments[valueIndex]
            index = arguments.index(after: valueIndex)
        }
        guard let databaseURL = values["--database"], let node = values["--node"], !node.isEmpty, !node.contains("/"),
              let leaseText = values["--lease-ms"], let leaseMilliseconds = Int(leaseText), (1...3_600_000).contains(leaseMilliseconds),
              let directory = values["--directory"], !directory.isEmpty
        else { return nil }
        return Options(databaseURL: databaseURL, node: node, lease: .milliseconds(leaseMilliseconds), directory: directory)
    }

    static func run(_ options: Options, logger: Logger) async throws {
        let database = try await SQLDatabases.open(url: options.databaseURL, logger: logger)
        do {
            try await JobSchema.migrate(database, logger: logger)
            let queue = JobQueue(database: database)
            let handler = JobHandler(kind: kind) { context in
                let marker = StartedMarker(job: context.job.id, holder: context.job.leaseHolder ?? "", token: context.claim.token,
                                           attempt: context.job.attempts)
                let bytes = Array(try JSONEncoder().encode(marker))
                let path = "\(options.directory)/\(context.job.id).started"
                // Blocking write with fsync: off the cooperative pool.
                try await onComputeThreads { try AtomicFile.write(bytes, to: path, mode: 0o644) }
                logger.notice("job started; holding it until stopped", metadata: ["job": "\(context.job.id)", "attempt": "\(context.job.attempts)"])
                await waitUntilCancelled()
                throw CancellationError()
            }
            let worker = JobWorker(queue: queue, node: options.node, handlers: [handler], concurrency: 1, lease: options.lease, logger: logger)
            let group = ServiceGroup(configuration: .init(
                services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    /// Suspends until the current task is cancelled (the worker's shutdown cancels handlers).
    static func waitUntilCancelled() async {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        await withTaskCancellationHandler {
            for await _ in stream {}
        } onCancel: {
            continuation.finish()
        }
    }
}

guard let options = JobWorkerFixture.parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data((JobWorkerFixture.usage + "\n").utf8))
    exit(2)
}
let logger = Logger(label: "pakit.job-worker-fixture")
do {
    try await JobWorkerFixture.run(options, logger: logger)
} catch {
    FileHandle.standardError.write(Data("pakit-job-worker-fixture: \(error)\n".utf8))
    exit(1)
}
