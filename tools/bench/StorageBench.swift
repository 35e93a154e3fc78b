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
    @Option(help: "Work directory (needs ~4 GiB free; the memory section needs about twice --memory-gib more); default: system temp.") var workDir: String?
    @Flag(help: "Skip the Kubo side-by-side run.") var skipKubo = false
    @Option(help: "Runs of each figure that varies (durable-write floor, each ingest figure, Kubo): median, min and max are printed.")
    var runs = 3
    @Option(name: .customLong("memory-gib"), help: "Large upload of the memory section, GiB of random data (0 skips the section).")
    var memoryGiB = 8
    @Option(name: .customLong("memory-base-mib"), help: "Baseline upload of the memory section, MiB.") var memoryBaseMiB = 1024
    @Option(help: "Comma-separated sections: limits,ingest,memory,reads,metadata,dedup (metadata includes restart).")
    var sections = "limits,ingest,memory,reads,metadata,dedup"

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard memoryGiB >= 0, memoryBaseMiB >= 1 else { throw ValidationError("--memory-gib must be ≥ 0 and --memory-base-mib ≥ 1") }
    }

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
        if enabled("ingest") {
            Report.line("durable sequential write (1 MiB writes + fdatasync)", "measured \(runs)× in the ingest rounds below")
        } else {
            let disk = try durableWriteSpread(path: "\(work)/disk-probe", size: size)
            Report.line("durable sequential write (1 MiB writes + fdatasync)", disk.text("%.0f", "MB/s"))
        }

        if enabled("ingest") {
            let inputs = [IngestInput(label: "random", file: randomFile, bytes: size),
                          IngestInput(label: "text (kernel drivers/net tars)", file: textFile, bytes: textSize)]
            try await ingestSection(inputs: inputs, executable: storageExecutable, work: work, sha: sha, floorBytes: size)
        }
        if enabled("memory") {
            try await memorySection(randomFile: randomFile, randomBytes: size, executable: storageExecutable, work: work)
        }
        if enabled("reads") {
            Report.header("4 KiB block GET (h2load, HTTP/2 over TLS) beside the trivial route /health")
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
            Report.line("\(label) point lookups, \(concurrency) client(s)", String(format: "%.0f lookups/s (%.0f µs each)", rate, 1e6 / rate * Double(concurrency)),
                        reference: "one statement per lookup (MetadataStore.block)", target: "≥ 30000/s", met: rate >= 30_000)
        }
        let batched = 200_000
        let batchedElapsed = try await MetadataBenchmark.batchedLookups(database, existing: rows, count: batched, perStatement: 500)
        let batchedRate = Double(batched) / batchedElapsed.seconds
        Report.line("\(label) point lookups, batched", String(format: "%.0f lookups/s", batchedRate),
                    reference: "500 keys per statement (MetadataStore.blockSizes: pins, directories, CAR import)",
                    target: "≥ 30000/s", met: batchedRate >= 30_000)
        if label == "PostgreSQL" {
            let key = MetadataBenchmark.syntheticCID(0).v1.bytes
            for clients in [1, 4] {
                for mode in ["extended", "prepared"] {
                    if let tps = PgbenchFloor.lookups(url: url, key: key, protocolMode: mode, clients: clients) {
                        Report.line("  same lookup from pgbench (libpq, \(mode) protocol, \(clients) connection(s))",
                                    String(format: "%.0f lookups/s (%.0f µs each)", tps, 1e6 / tps * Double(clients)))
                    }
                }
            }
            let pings = 20_000
            let clock = ContinuousClock()
            let start = clock.now
            for _ in 0..<pings { _ = try await database.read("SELECT 1 AS one", []) }
            let pingRate = Double(pings) / (clock.now - start).seconds
            Report.line("  SELECT 1 through the service's client (libpq pool)", String(format: "%.0f/s (%.0f µs each)", pingRate, 1e6 / pingRate))
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
