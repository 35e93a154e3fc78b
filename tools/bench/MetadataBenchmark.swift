import Foundation
import Logging
import PakitCore
import PakitSQL
import StorageService

/// Drives the storage service's real metadata code (schema, batched block inserts, point
/// lookups) for `pakit-bench`, so the benchmark measures what the service runs.
enum MetadataBenchmark {
    /// Opens a database and applies the storage schema, as the service does at start-up.
    static func open(url: String, logger: Logger) async throws -> any SQLDatabase {
        let database = try await SQLDatabases.open(url: url, logger: logger)
        try await StorageSchema.migrate(database, logger: logger)
        return database
    }

    /// The CID of synthetic block `index` (distinct, deterministic).
    static func syntheticCID(_ index: Int) -> CID {
        withUnsafeBytes(of: UInt64(index).littleEndian) { CID.raw(sha256Of: Array($0)) }
    }

    /// Inserts block rows `range` in transactions of `perTransaction` rows, through the same
    /// batched statements ingest uses. Returns the elapsed time.
    static func insertBlocks(_ database: any SQLDatabase, range: Range<Int>, perTransaction: Int = 10_000) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        var index = range.lowerBound
        while index < range.upperBound {
            let end = min(index + perTransaction, range.upperBound)
            let records = (index..<end).map { BlockRecord.plain(cid: syntheticCID($0), size: 1 << 20) }
            try await database.transaction { tx in
                try await MetadataStore.insertBlocks(records, links: [], in: tx)
            }
            index = end
        }
        return clock.now - start
    }

    /// `count` lookups of random existing blocks, `perStatement` keys per statement through
    /// `MetadataStore.blockSizes` (what pins, directories and CAR imports use); returns the
    /// elapsed time.
    static func batchedLookups(_ database: any SQLDatabase, existing: Int, count: Int, perStatement: Int) async throws -> Duration {
        let store = MetadataStore(database: database)
        var generator = SplitMix64(seed: 99)
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        while done < count {
            let keys = (0..<min(perStatement, count - done)).map { _ in syntheticCID(Int(generator.next() % UInt64(existing))) }
            let found = try await store.blockSizes(of: keys)
            guard found.count == Set(keys).count else { throw BenchError("batched lookup found \(found.count) of \(keys.count)") }
            done += keys.count
        }
        return clock.now - start
    }

    /// `count` lookups of random existing blocks by `concurrency` tasks; returns the elapsed time.
    static func lookups(_ database: any SQLDatabase, existing: Int, count: Int, concurrency: Int) async throws -> Duration {
        let store = MetadataStore(database: database)
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var generator = SplitMix64(seed: UInt64(worker + 1))
                    for _ in 0..<(count / concurrency) {
                        let cid = syntheticCID(Int(generator.next() % UInt64(existing)))
                        guard try await store.block(cid) != nil else { throw BenchError("block \(cid) not found") }
                    }
                }
            }
            try await group.waitForAll()
        }
        return clock.now - start
    }
}

/// The same point lookup driven by PostgreSQL's own C client (`pgbench`, one connection) in
/// the same run: the floor our Swift client path is compared with.
enum PgbenchFloor {
    /// Lookups per second of one existing key from `clients` connections, with `protocolMode`
    /// `extended` (an unnamed statement per query) or `prepared` (what the service's client
    /// does for a statement it has seen before); nil when pgbench or the server is not available.
    static func lookups(url: String, key: [UInt8], protocolMode: String, clients: Int = 1, seconds: Int = 3) -> Double? {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else { return nil }
        let database = String(components.path.dropFirst())
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted().last else { return nil }
        let pgbench = "/usr/lib/postgresql/\(version)/bin/pgbench"
        let script = NSTemporaryDirectory() + "pakit-bench-lookup-\(UUID().uuidString.prefix(6)).sql"
        let hex = key.map { String(format: "%02x", $0) }.joined()
        guard FileManager.default.createFile(atPath: script, contents: Data("SELECT size, stored_size, encoding FROM blocks WHERE cid = '\\x\(hex)'::bytea;\n".utf8)) else { return nil }
        defer { try? FileManager.default.removeItem(atPath: script) }
        guard let output = try? runCommand([pgbench, "-h", host, "-p", "\(port)", "-U", components.user ?? "postgres", "-n", "-c", "\(clients)",
                                            "-j", "\(clients)", "-T", "\(seconds)", "-M", protocolMode, "-f", script, database]),
              let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let value = Double(line.dropFirst(6).prefix(while: { $0 != " " })) else { return nil }
        return value
    }
}
