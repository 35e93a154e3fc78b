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
        try await Migrator.migrate(database, schema: StorageSchema.name, migrations: StorageSchema.migrations, logger: logger)
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
