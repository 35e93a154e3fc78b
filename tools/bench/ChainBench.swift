import ArgumentParser
import AsyncHTTPClient
import ChainRelayService
import Crypto
import Foundation
import NIOCore
import PakitContracts
import PakitCore
import PakitTLS

/// `pakit-bench chain`: one real `pakit-chain-relay` (its own data directory, `pakit init`
/// certificates, a fresh account key) against the dev chain (`tools/devchain`, a Python
/// stand-in for a BelizeChain node), submissions over HTTPS with the operator's certificate:
/// - a paced phase: `StorageProof.submit_storage_proof` intents at `--rate` per second for
///   `--seconds`: the relay's overhead per submission (intent to a node's pool), the POST's
///   answer time, finality in blocks (target: p95 ≤ 5 blocks beyond the finality lag), proofs
///   per block beside the offered rate and the runtime's ceiling;
/// - a saturation phase (`--burst N`): N intents as fast as they are taken, then proofs per
///   finalized block while the relay drains them, beside the runtime's ceiling (≈ 1,100).
///
/// Each phase also measures the dev chain's own time per block (best block numbers over wall
/// time) and the CPU of the chain, the relay and this runner, so a figure bounded by the
/// stand-in, not the relay, says so.
struct ChainBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chain", abstract: "Chain relay benchmark against the dev chain.")

    @Option(help: "Milliseconds per dev-chain block.") var blockMs = 100
    @Option(help: "Seconds of paced submissions (0 skips the paced phase).") var seconds = 30
    @Option(help: "Submissions per second in the paced phase.") var rate = 50
    @Option(help: "Blocks by which finality trails the best block.") var finalityLag = 2
    @Option(help: "Then N submissions as fast as they are taken, drained by the relay (0 skips).") var burst = 0
    @Option(help: "POSTs in flight at once in the burst.") var burstConcurrency = 32
    @Option(help: "The relay's --max-in-flight (default: the relay's own, \(ChainRelayConfiguration.defaultMaximumInFlight)).") var maxInFlight: Int?
    @Option(help: "Work directory; default: system temp.") var workDir: String?

    func validate() throws {
        guard (10...60_000).contains(blockMs) else { throw ValidationError("--block-ms must be 10…60000") }
        guard seconds >= 0, burst >= 0, seconds > 0 || burst > 0 else { throw ValidationError("--seconds ≥ 0, --burst ≥ 0, and one of them > 0") }
        guard (1...1_000).contains(rate), (0...64).contains(finalityLag) else { throw ValidationError("--rate must be 1…1000, --finality-lag 0…64") }
        guard rate * seconds + burst <= 100_000 else { throw ValidationError("at most 100,000 submissions in one run") }
        guard (1...256).contains(burstConcurrency) else { throw ValidationError("--burst-concurrency must be 1…256") }
        guard (maxInFlight ?? 1) >= 1 else { throw ValidationError("--max-in-flight must be ≥ 1") }
    }

    func run() async throws {
        #if DEBUG
        say("warning: debug build; run `swift run -c release pakit-bench chain` for meaningful numbers")
        #endif
        let executables = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        let repository = try Self.repositoryRoot(executables: executables)
        let work = (workDir ?? NSTemporaryDirectory()) + "/pakit-bench-chain-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let rig = ChainRig(work: work)
        do {
            try await measure(rig, executables: executables, repository: repository)
        } catch {
            rig.showLogs()
            await rig.tearDown()
            throw error
        }
        await rig.tearDown()
    }

    // MARK: - the run

    func measure(_ rig: ChainRig, executables: String, repository: String) async throws {
        let windowBound = Double(maxInFlight ?? ChainRelayConfiguration.defaultMaximumInFlight) / Double(finalityLag + 1)
        Report.header("chain: pakit-chain-relay → dev chain (tools/devchain, a Python stand-in), \(blockMs) ms blocks, finality lag \(finalityLag)")
        try await rig.start(executables: executables, repository: repository, blockMilliseconds: blockMs, finalityLag: finalityLag,
                            maxInFlight: maxInFlight)
        Report.line("runtime ceiling (reference §1, §4, not this run)",
                    "\(RuntimeCapacity.proofsPerBlock) proofs per block",
                    reference: "proof_size: 75% of \(RuntimeCapacity.blockProofSize / 1_048_576) MiB / \(RuntimeCapacity.proofSizePerProof) B; "
                        + "ref_time alone would allow \(RuntimeCapacity.proofsByRefTime(siblings: 2))")
        Report.line("relay window (--max-in-flight \(maxInFlight ?? ChainRelayConfiguration.defaultMaximumInFlight) signed, unfinalized; each ≥ lag + 1 blocks in flight)",
                    String(format: "≤ %.0f proofs per block", windowBound))

        // The stand-in's own pace with nothing to do: the peer of its pace under load.
        let idle = try await rig.sample()
        try await Task.sleep(for: .milliseconds(max(3_000, 3 * blockMs)))
        let idleEnd = try await rig.sample()
        let idleBlock = idleEnd.millisecondsPerBlock(since: idle)
        Report.line("dev chain idle", String(format: "%.1f ms per block, %.0f%% of one core", idleBlock, 100 * idleEnd.chainCPU(since: idle)),
                    reference: "--block-ms \(blockMs): it sleeps that long, then authors the block")

        // The relay commits each submission to its SQLite outbox (WAL, synchronous=FULL) when it
        // is stored, signed and accepted: a durable commit's floor on this disk is their peer.
        let commitFloor = try Self.durableWriteMilliseconds(in: rig.work)
        Report.line("durable commit floor (4 KiB append + fdatasync, in the work directory)", String(format: "%.2f ms", commitFloor),
                    reference: "the relay commits at least 3 times per submission: stored, signed, accepted")

        var expected = 0
        if seconds > 0 {
            let requests = (0..<(rate * seconds)).map { Self.proofRequest(run: rig.runID, phase: "paced", index: $0) }
            let before = try await rig.sample()
            let start = ContinuousClock.now
            var latest = Duration.zero
            var posted: [Posted] = []
            let relay = try rig.relayClient
            try await withThrowingTaskGroup(of: Posted.self) { group in
                for (index, request) in requests.enumerated() {
                    let due = start + .nanoseconds(Int64(index) * 1_000_000_000 / Int64(rate))
                    if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
                    latest = max(latest, ContinuousClock.now - due)
                    group.addTask { await relay.post(request) }
                }
                for try await answer in group { posted.append(answer) }
            }
            let issued = ContinuousClock.now - start
            expected += posted.filter { $0.status == 202 }.count
            Report.header("paced: \(requests.count) proofs at \(rate)/s for \(seconds) s (one task per POST, on schedule)")
            Report.line("offered", String(format: "%.1f/s", Double(requests.count) / issued.seconds),
                        reference: String(format: "schedule %d/s; latest POST start %.1f ms behind it", rate, latest.seconds * 1_000))
            let settled = try await rig.waitUntilSettled(expected: expected, timeout: .seconds(300) + .milliseconds(40 * blockMs))
            let after = try await rig.sample()
            let records = try await rig.records(posted.compactMap(\.id))
            report(posted: posted, records: records, before: before, after: after, idleBlock: idleBlock, windowBound: windowBound, commitFloor: commitFloor,
                   settled: settled, offeredPerSecond: Double(rate))
        }

        if burst > 0 {
            let requests = (0..<burst).map { Self.proofRequest(run: rig.runID, phase: "burst", index: $0) }
            let before = try await rig.sample()
            let start = ContinuousClock.now
            var posted: [Posted] = []
            let relay = try rig.relayClient
            try await withThrowingTaskGroup(of: Posted.self) { group in
                var next = 0
                for _ in 0..<min(burstConcurrency, requests.count) {
                    let request = requests[next]
                    group.addTask { await relay.post(request) }
                    next += 1
                }
                for try await answer in group {
                    posted.append(answer)
                    if next < requests.count {
                        let request = requests[next]
                        group.addTask { await relay.post(request) }
                        next += 1
                    }
                }
            }
            let taken = ContinuousClock.now - start
            expected += posted.filter { $0.status == 202 }.count
            Report.header("burst: \(burst) proofs as fast as they are taken (\(burstConcurrency) POSTs in flight), then drained")
            Report.line("intents taken", String(format: "%.0f/s (%d in %.2f s)", Double(burst) / taken.seconds, burst, taken.seconds))
            let settled = try await rig.waitUntilSettled(expected: expected, timeout: .seconds(600) + .milliseconds(60 * blockMs))
            let after = try await rig.sample()
            let records = try await rig.records(posted.compactMap(\.id))
            report(posted: posted, records: records, before: before, after: after, idleBlock: idleBlock, windowBound: windowBound, commitFloor: commitFloor,
                   settled: settled, offeredPerSecond: nil)
        }

        let fillers = try await rig.relayClient.list("?caller=relay&limit=1000")
        Report.line("nonce fillers (remarks the relay signed to close a nonce gap)", "\(fillers.count)", target: "0", met: fillers.isEmpty)
    }

    // MARK: - figures

    func report(posted: [Posted], records: [SubmissionRecord], before: ChainSample, after: ChainSample, idleBlock: Double,
                windowBound: Double, commitFloor: Double, settled: Duration, offeredPerSecond: Double?) {
        let refused = posted.filter { $0.status != 202 }
        Report.line("POSTs answered 202", "\(posted.count - refused.count) of \(posted.count)", target: "all", met: refused.isEmpty)
        for failure in refused.prefix(3) { say("    refused: \(failure.status) \(failure.error ?? "")") }
        let answers = Percentiles(posted.filter { $0.status == 202 }.map { $0.latency.seconds * 1_000 })
        Report.line("POST answer time (client side, HTTPS/2 with the operator certificate)", answers.text("ms", [50, 99]))

        let overhead = Percentiles(records.compactMap { record in record.submittedAt.map { ($0 - record.createdAt) * 1_000 } })
        Report.line("relay overhead: intent stored → a node's pool took it (submittedAt − createdAt)", overhead.text("ms", [50, 99]),
                    reference: String(format: "block time %d ms", blockMs))

        let failed = records.filter { $0.state == .failed }
        let finalized = records.filter { $0.state == .finalized }
        Report.line("finalized", "\(finalized.count) of \(posted.count)", target: "all", met: finalized.count == posted.count)
        Report.line("failed", "\(failed.count)", target: "0", met: failed.isEmpty)
        for failure in failed.prefix(3) { say("    failed: \(failure.id) \(failure.error ?? "")") }
        let resigned = records.filter { $0.signings > 1 }.count
        Report.line("signed more than once", "\(resigned)", reference: "max \(records.map(\.signings).max() ?? 0) signings")

        let blockSeconds = after.millisecondsPerBlock(since: before) / 1_000
        let beyond = Percentiles(finalized.compactMap { record -> Double? in
            guard let block = record.blockNumber, let submitted = record.submittedBlock else { return nil }
            return Double(Int64(block) - Int64(submitted))
        })
        let total = Percentiles(beyond.values.map { $0 + Double(finalityLag) })
        Report.line("finality in blocks: finalized block − best block at submission (inclusion block + lag)", total.text("blocks", [50, 95], decimals: 0))
        Report.line("  beyond the lag: inclusion block − best block at submission", beyond.text("blocks", [50, 95], decimals: 0),
                    target: "p95 ≤ 5", met: beyond.percentile(95) <= 5)
        let seen = Percentiles(finalized.compactMap { record -> Double? in
            guard let submittedAt = record.submittedAt, let finalizedAt = record.finalizedAt else { return nil }
            return (finalizedAt - submittedAt) / blockSeconds
        })
        Report.line("  as the relay saw it: (finalizedAt − submittedAt) / measured block time", seen.text("blocks", [50, 95]),
                    reference: String(format: "beyond the lag p95 %.1f blocks (includes the relay's reading of the finalized block)",
                                      seen.percentile(95) - Double(finalityLag)))

        var perBlock: [UInt32: Int] = [:]
        for record in finalized { if let block = record.blockNumber { perBlock[block, default: 0] += 1 } }
        let first = perBlock.keys.min() ?? 0
        let last = perBlock.keys.max() ?? 0
        let span = Double(last - first + 1)
        let sustained = Double(finalized.count) / span
        let heaviest = perBlock.values.max() ?? 0
        let ceiling = Double(RuntimeCapacity.proofsPerBlock)
        var peers = String(format: "runtime ceiling %d (%.0f%%)", RuntimeCapacity.proofsPerBlock, 100 * sustained / ceiling)
        if let offeredPerSecond {
            peers += String(format: "; offered %.0f/s × %d ms = %.1f, × measured %.0f ms = %.1f", offeredPerSecond, blockMs,
                            offeredPerSecond * Double(blockMs) / 1_000, blockSeconds * 1_000, offeredPerSecond * blockSeconds)
        }
        Report.line("proofs per block over blocks \(first)…\(last) (\(Int(span)) blocks, \(perBlock.count) holding proofs)",
                    String(format: "%.1f sustained, %.1f per holding block, max %d in one block", sustained,
                           Double(finalized.count) / Double(max(1, perBlock.count)), heaviest), reference: peers)

        let series = (first...last).prefix(40).map { "\(perBlock[$0] ?? 0)" }.joined(separator: " ")
        Report.line("  proofs in each block from \(first)", series + (span > 40 ? " …" : ""))

        // What bounds the throughput: each candidate's use of its limit, measured in this run.
        let wall = (after.instant - before.instant).seconds
        let chainCPU = after.chainCPU(since: before)
        let relayCPU = after.relayCPU(since: before)
        let benchCPU = after.benchCPU(since: before)
        Report.line("dev chain under load", String(format: "%.1f ms per block (%.2f× --block-ms), %.0f%% of one core", blockSeconds * 1_000,
                                                   blockSeconds * 1_000 / Double(blockMs), 100 * chainCPU),
                    reference: String(format: "idle %.1f ms per block; Python, one thread: 100%% of one core is its limit", idleBlock))
        let submittedTimes = records.compactMap(\.submittedAt)
        let submitSpan = (submittedTimes.max() ?? 0) - (submittedTimes.min() ?? 0)
        Report.line("relay", String(format: "%.0f%% of one core; pools took its submissions at %.0f/s", 100 * relayCPU,
                                    submitSpan > 0 ? Double(submittedTimes.count) / submitSpan : .nan),
                    reference: String(format: "the chain finalized %.0f/s; window bound %.0f per block", sustained / blockSeconds, windowBound))
        Report.line("the machine", String(format: "%.2f of 2 cores busy with chain + relay + runner (runner %.0f%%) over %.1f s; settled %.1f s after the last POST",
                                          chainCPU + relayCPU + benchCPU, 100 * benchCPU, wall, settled.seconds))
        let bound: String
        if chainCPU >= 0.85 || blockSeconds * 1_000 >= 1.5 * Double(blockMs) {
            bound = String(format: "the dev chain (a Python stand-in): %.0f%% of its one core, blocks %.2f× their nominal time", 100 * chainCPU,
                           blockSeconds * 1_000 / Double(blockMs))
        } else if sustained >= 0.9 * windowBound {
            bound = "the relay's in-flight window (--max-in-flight / (lag + 1) blocks)"
        } else if relayCPU >= 0.85 {
            bound = String(format: "the relay's CPU (%.0f%% of one core)", 100 * relayCPU)
        } else if chainCPU + relayCPU + benchCPU >= 1.8 {
            bound = "the machine's two cores, shared by the chain, the relay and the runner"
        } else if let offeredPerSecond, sustained >= 0.9 * offeredPerSecond * blockSeconds {
            bound = "the offered rate (the chain took everything offered)"
        } else if offeredPerSecond == nil, submitSpan > 0, sustained / blockSeconds >= 0.9 * Double(submittedTimes.count) / submitSpan {
            bound = String(format: "the relay's submission pace: one submission at a time, %.1f ms each (sign and commit, the pool's answer, commit; "
                               + "a durable commit here takes %.1f ms), and the chain took all of it; neither process is CPU-bound",
                           1_000 * submitSpan / Double(submittedTimes.count), commitFloor)
        } else {
            bound = "not determined by these figures"
        }
        Report.line("bound by", bound)
    }

    /// Median time of a 4 KiB append followed by `fdatasync`, over 200 rounds.
    static func durableWriteMilliseconds(in directory: String) throws -> Double {
        let path = "\(directory)/commit-floor.bin"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { throw BenchError("cannot create \(path)") }
        defer {
            close(descriptor)
            unlink(path)
        }
        let page = [UInt8](repeating: 0xA5, count: 4096)
        var times: [Double] = []
        for _ in 0..<200 {
            let start = ContinuousClock.now
            guard page.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == page.count, fdatasync(descriptor) == 0 else {
                throw BenchError("writing \(path) failed: errno \(errno)")
            }
            times.append((ContinuousClock.now - start).seconds * 1_000)
        }
        return Percentiles(times).percentile(50)
    }

    // MARK: - requests

    /// A storage proof of its own content id: leaf 2 of a 4-leaf BLAKE2-256 Merkle tree whose
    /// leaves name this run, phase and index (as `pakit anchor` builds one for a file).
    static func proofRequest(run: String, phase: String, index: Int) -> SubmissionRequest {
        let label = "pakit-bench-chain-\(run)-\(phase)-\(index)"
        let leaves = (0..<4).map { Blake2b.hash256(Array("\(label)-\($0)".utf8)) }
        let tree = BinaryMerkleTree(leafHashes: leaves)
        let path = tree.proof(forLeaf: 2) ?? []
        return SubmissionRequest(idempotencyKey: "bench:chain:\(run):\(phase):\(index)", call: .submitStorageProof(
            contentID: Base16.encode(tree.root), leaf: Base16.encode(leaves[2]),
            siblings: path.map { ChainMerkleStep(node: Base16.encode($0.node), nodeIsLeft: $0.nodeIsLeft) }))
    }

    /// The checkout holding tools/devchain: the working directory, the executable's ancestors,
    /// or this source file's.
    static func repositoryRoot(executables: String) throws -> String {
        var candidates = [FileManager.default.currentDirectoryPath]
        var directory = URL(fileURLWithPath: executables)
        for _ in 0..<4 {
            directory = directory.deletingLastPathComponent()
            candidates.append(directory.path)
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path)
        guard let root = candidates.first(where: { FileManager.default.fileExists(atPath: "\($0)/tools/devchain/devchain.py") }) else {
            throw BenchError("tools/devchain/devchain.py not found: run from the repository")
        }
        return root
    }
}

/// The runtime's room for storage proofs per block, from the reference (§1 BlockWeights and
/// BlockLength, §4 StorageProof's weights), derived here rather than pasted.
enum RuntimeCapacity {
    /// `BlockWeights` max proof_size: 5 MiB.
    static let blockProofSize = 5 * 1_048_576
    /// `NORMAL_DISPATCH_RATIO`: 75% of a block for normal-class extrinsics.
    static let normalPercent = 75
    /// `submit_storage_proof`'s proof_size.
    static let proofSizePerProof = 3_550
    /// 2 s of ref_time per block, in picoseconds.
    static let blockRefTime: Int64 = 2_000_000_000_000

    /// ≈ 1,100: the normal class's proof_size budget over one proof's.
    static var proofsPerBlock: Int { blockProofSize * normalPercent / 100 / proofSizePerProof }

    /// The same by ref_time (45.6 µs + 0.623 µs per sibling), which never binds first.
    static func proofsByRefTime(siblings: Int) -> Int {
        Int(blockRefTime * Int64(normalPercent) / 100 / (45_600_000 + 623_000 * Int64(siblings)))
    }
}

// MARK: - processes and the relay's API

/// One POST's outcome, as the client saw it.
struct Posted: Sendable {
    let status: Int
    let latency: Duration
    let id: String?
    let error: String?
}

/// The relay's HTTPS API through a client presenting the operator's certificate.
struct RelayClient: Sendable {
    let http: HTTPClient
    let url: String

    func post(_ submission: SubmissionRequest) async -> Posted {
        let start = ContinuousClock.now
        do {
            var request = HTTPClientRequest(url: url + "/internal/v1/submissions")
            request.method = .POST
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(submission)))
            let response = try await http.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            let latency = ContinuousClock.now - start
            let status = Int(response.status.code)
            let record = try? JSONDecoder().decode(SubmissionRecord.self, from: Data(body.readableBytesView))
            return Posted(status: status, latency: latency, id: record?.id, error: status == 202 ? nil : String(String(buffer: body).prefix(200)))
        } catch {
            return Posted(status: 0, latency: ContinuousClock.now - start, id: nil, error: "\(error)")
        }
    }

    func get<Answer: Decodable>(_ path: String, as type: Answer.Type) async throws -> Answer {
        let response = try await http.execute(HTTPClientRequest(url: url + path), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else {
            throw BenchError("GET \(path): \(response.status.code) \(String(buffer: body).prefix(200))")
        }
        return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }

    func list(_ query: String) async throws -> [SubmissionRecord] {
        try await get("/v1/submissions\(query)", as: SubmissionListResponse.self).submissions
    }
}

/// A child process with its output in a log file; stopped with SIGTERM, then SIGKILL.
final class ChildProcess {
    let name: String
    let process = Process()
    let logPath: String

    init(name: String, executable: String, arguments: [String], environment: [String: String]? = nil, logPath: String) throws {
        self.name = name
        self.logPath = logPath
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw BenchError("cannot create \(logPath)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try? log.close()
    }

    var pid: Int32 { process.processIdentifier }

    /// The first line of `path` once the process has written it (a service's URL file).
    func waitForFile(_ path: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), case let line = text.trimmingCharacters(in: .whitespacesAndNewlines),
               !line.isEmpty {
                return line
            }
            guard process.isRunning else { throw BenchError("\(name) exited with status \(process.terminationStatus) before writing \(path)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("\(name) did not write \(path) within \(timeout)")
    }

    /// SIGTERM, then SIGKILL after `grace`. Polls instead of `waitUntilExit` (see `StorageServer.stop`).
    func stop(grace: Duration = .seconds(10)) {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        if waitForExit(within: grace) { return }
        say("  warning: \(name) (pid \(pid)) still running \(grace) after SIGTERM: sent SIGKILL")
        kill(pid, SIGKILL)
        _ = waitForExit(within: .seconds(10))
    }

    private func waitForExit(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    func tail(lines: Int) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// One moment of a phase: wall time, the dev chain's best block and each process's CPU so far.
struct ChainSample {
    let instant: ContinuousClock.Instant
    let best: UInt64
    let chainCPU: Double
    let relayCPU: Double
    let benchCPU: Double

    func millisecondsPerBlock(since earlier: ChainSample) -> Double {
        guard best > earlier.best else { return .nan }
        return (instant - earlier.instant).seconds * 1_000 / Double(best - earlier.best)
    }

    func chainCPU(since earlier: ChainSample) -> Double { (chainCPU - earlier.chainCPU) / (instant - earlier.instant).seconds }
    func relayCPU(since earlier: ChainSample) -> Double { (relayCPU - earlier.relayCPU) / (instant - earlier.instant).seconds }
    func benchCPU(since earlier: ChainSample) -> Double { (benchCPU - earlier.benchCPU) / (instant - earlier.instant).seconds }
}

/// The dev chain, one relay with a fresh data directory and account, and a client of it.
final class ChainRig {
    let work: String
    let runID = String(UUID().uuidString.prefix(8)).lowercased()
    private var chain: ChildProcess?
    private var relay: ChildProcess?
    private var client: RelayClient?
    private var chainURL = ""
    private var repository = ""

    init(work: String) { self.work = work }

    /// The relay's API, once `start` has started it.
    var relayClient: RelayClient {
        get throws {
            guard let client else { throw BenchError("the relay is not started") }
            return client
        }
    }

    func start(executables: String, repository: String, blockMilliseconds: Int, finalityLag: Int, maxInFlight: Int?) async throws {
        self.repository = repository
        let pakit = "\(executables)/pakit"
        let relayExecutable = "\(executables)/pakit-chain-relay"
        for executable in [pakit, relayExecutable] where !FileManager.default.isExecutableFile(atPath: executable) {
            throw BenchError("\(executable) not found: build it first (swift build -c release --product \((executable as NSString).lastPathComponent))")
        }
        // The relay's account: a random seed, so every run starts at nonce 0 on a fresh chain.
        var generator = SystemRandomNumberGenerator()
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let account = Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation)
        // 10⁶ DALLA: each proof reserves 1 DALLA and pays a fee far below one.
        let endowment = "1000000000000000000"
        let urlFile = "\(work)/devchain.url"
        let chain = try ChildProcess(name: "devchain.py", executable: "/usr/bin/env", arguments: [
            "python3", "\(repository)/tools/devchain/devchain.py", "--url-file", urlFile, "--block-ms", "\(blockMilliseconds)",
            "--finality-lag", "\(finalityLag)", "--endow", "\(Base16.encode(account))=\(endowment)",
        ], logPath: "\(work)/devchain.log")
        self.chain = chain
        chainURL = try await chain.waitForFile(urlFile, timeout: .seconds(60))

        let data = "\(work)/relay"
        try runCommand([pakit, "init", "--data", data])
        let keyFile = "\(data)/relay-seed.key"
        guard FileManager.default.createFile(atPath: keyFile, contents: Data(("0x" + Base16.encode(seed) + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw BenchError("cannot write \(keyFile)")
        }
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("PAKIT_") { environment[key] = nil }
        let relay = try ChildProcess(name: "pakit-chain-relay", executable: relayExecutable, arguments: [
            "--data-dir", data, "--port", "0", "--log-level", "warning", "--key-file", keyFile, "--chain-url", chainURL,
        ] + (maxInFlight.map { ["--max-in-flight", "\($0)"] } ?? []), environment: environment, logPath: "\(work)/relay.log")
        self.relay = relay
        let url = try await relay.waitForFile("\(data)/chain-relay.url", timeout: .seconds(60))
        let paths = ServiceTLSFiles.defaultPaths(dataDirectory: data, identity: NodeCertificates.operatorName)
        client = RelayClient(http: HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: try paths.clientConfiguration())),
                             url: url)
        let relayClient = try relayClient

        // Connected, the chain accepted, and the account the one endowed.
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let status = try? await relayClient.get("/v1/chain", as: RelayChainStatus.self), status.connected, status.refusal == nil,
               status.finalizedNumber != nil {
                guard status.accountHex.lowercased().hasSuffix(Base16.encode(account)) else {
                    throw BenchError("the relay signs for \(status.accountHex), not the endowed \(Base16.encode(account))")
                }
                return
            }
            guard ContinuousClock.now < deadline else { throw BenchError("the relay did not connect to the dev chain within 60 s") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The dev chain's best block (through tools/devchain/rpc.py, not the relay) and CPU so far.
    func sample() async throws -> ChainSample {
        let output = try runCommand(["python3", "\(repository)/tools/devchain/rpc.py", chainURL, "chain_getHeader"])
        let instant = ContinuousClock.now
        guard let answer = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let header = answer["result"] as? [String: Any], let number = (header["number"] as? String).flatMap({ UInt64($0.dropFirst(2), radix: 16) }) else {
            throw BenchError("chain_getHeader: \(output.prefix(200))")
        }
        return ChainSample(instant: instant, best: number, chainCPU: (try? ProcFS.cpuSeconds(chain?.pid ?? 0)) ?? .nan,
                           relayCPU: (try? ProcFS.cpuSeconds(relay?.pid ?? 0)) ?? .nan, benchCPU: (try? ProcFS.cpuSeconds(getpid())) ?? .nan)
    }

    /// Waits until the relay holds nothing unsettled and at least `expected` final submissions;
    /// returns how long that took.
    func waitUntilSettled(expected: Int, timeout: Duration) async throws -> Duration {
        let start = ContinuousClock.now
        let relayClient = try relayClient
        var last: RelayChainStatus?
        while ContinuousClock.now - start < timeout {
            if relay?.process.isRunning != true { throw BenchError("pakit-chain-relay exited") }
            if chain?.process.isRunning != true { throw BenchError("devchain.py exited") }
            if let status = try? await relayClient.get("/v1/chain", as: RelayChainStatus.self) {
                last = status
                let pending = ["queued", "signed", "submitted", "in_block"].reduce(0) { $0 + (status.counts[$1] ?? 0) }
                let final = (status.counts["finalized"] ?? 0) + (status.counts["failed"] ?? 0)
                if pending == 0, final >= expected { return ContinuousClock.now - start }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchError("submissions not settled within \(timeout): \(last?.counts ?? [:])")
    }

    /// Every record by id, 16 requests at a time.
    func records(_ ids: [String]) async throws -> [SubmissionRecord] {
        let relay = try relayClient
        return try await withThrowingTaskGroup(of: SubmissionRecord.self) { group in
            var records: [SubmissionRecord] = []
            var next = 0
            for _ in 0..<min(16, ids.count) {
                let id = ids[next]
                group.addTask { try await relay.get("/v1/submissions/\(id)", as: SubmissionRecord.self) }
                next += 1
            }
            for try await record in group {
                records.append(record)
                if next < ids.count {
                    let id = ids[next]
                    group.addTask { try await relay.get("/v1/submissions/\(id)", as: SubmissionRecord.self) }
                    next += 1
                }
            }
            return records
        }
    }

    func showLogs() {
        for process in [chain, relay].compactMap({ $0 }) {
            say("  last lines of \(process.name)'s log:\n\(process.tail(lines: 15))")
        }
    }

    func tearDown() async {
        relay?.stop()
        chain?.stop()
        try? await client?.http.shutdown()
        try? FileManager.default.removeItem(atPath: work)
    }
}

/// Percentiles by nearest rank.
struct Percentiles {
    let values: [Double]

    init(_ values: [Double]) { self.values = values.sorted() }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(values.count)).rounded(.up))
        return values[min(values.count - 1, max(0, rank - 1))]
    }

    /// "p50 12.3 ms, p99 40.1 ms, max 52.0 ms (1,500)".
    func text(_ unit: String, _ ranks: [Double], decimals: Int = 1) -> String {
        guard !values.isEmpty else { return "none" }
        let format = "%.\(decimals)f"
        let parts = ranks.map { "p\(Int($0)) \(String(format: format, percentile($0))) \(unit)" }
            + ["max \(String(format: format, values.last ?? .nan)) \(unit)"]
        return parts.joined(separator: ", ") + " (\(values.count))"
    }
}
