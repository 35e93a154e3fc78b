import Foundation
import Logging
import PakitSQL
import PakitTestSupport
import Testing

/// The one query layer behaves the same on PostgreSQL and SQLite.
@Suite("SQL layer")
struct SQLLayerTests {
    static func open(_ backend: Backend) async throws -> (any SQLDatabase, String) {
        let logger = Logger(label: "test.sql")
        let directory = NSTemporaryDirectory() + "pakit-sql-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let url = try await backend.makeDatabaseURL(dataDirectory: directory, file: "test.sqlite")
        return (try await SQLDatabases.open(url: url, logger: logger), directory)
    }

    static let migrations = [
        Migration(version: 1, name: "items",
                  postgres: ["CREATE TABLE items (id BYTEA PRIMARY KEY, n BIGINT NOT NULL, label TEXT)"],
                  sqlite: ["CREATE TABLE items (id BLOB PRIMARY KEY, n INTEGER NOT NULL, label TEXT)"]),
        Migration(version: 2, name: "index", both: ["CREATE INDEX items_n ON items (n)"]),
    ]

    @Test("migrations apply once; values round-trip; transactions commit or roll back whole", arguments: Backend.available)
    func roundTrip(backend: Backend) async throws {
        let (database, path) = try await Self.open(backend)
        defer { if !path.isEmpty { try? FileManager.default.removeItem(atPath: path) } }
        let logger = Logger(label: "test.sql")
        try await Migrator.migrate(database, schema: "test", migrations: Self.migrations, logger: logger)
        try await Migrator.migrate(database, schema: "test", migrations: Self.migrations, logger: logger)
        let applied = try await database.query("SELECT COUNT(*) AS n FROM schema_migrations WHERE schema_name = $1", ["test"])
        #expect(try applied.first?.int("n") == 2)

        try await database.query("INSERT INTO items (id, n, label) VALUES ($1, $2, $3)", [.blob([0, 1, 255]), .integer(Int64.max), .null])
        let rows = try await database.read("SELECT id, n, label FROM items WHERE id = $1", [.blob([0, 1, 255])])
        #expect(try rows.first?.blob("id") == [0, 1, 255])
        #expect(try rows.first?.int("n") == Int64.max)
        #expect(rows.first?["label"] == .null)

        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await database.transaction { tx in
                try await tx.query("INSERT INTO items (id, n) VALUES ($1, $2)", [.blob([9]), .integer(9)])
                throw Boom()
            }
        }
        #expect(try await database.read("SELECT id FROM items WHERE id = $1", [.blob([9])]).isEmpty, "rolled-back row is visible")
        try await database.transaction { tx in
            for i in 0..<50 { try await tx.query("INSERT INTO items (id, n) VALUES ($1, $2)", [.blob([1, UInt8(i)]), .integer(Int64(i))]) }
        }
        #expect(try await database.read("SELECT COUNT(*) AS n FROM items").first?.int("n") == 51)
        await #expect(throws: SQLError.self) { try await database.query("INSERT INTO items (id, n) VALUES ($1, $2)", [.blob([1, 0]), .integer(0)]) }
        await database.close()
    }

    @Test("an unreachable PostgreSQL fails fast with a clear error instead of hanging")
    func unreachable() async throws {
        await #expect(throws: SQLError.self) {
            _ = try await SQLDatabases.open(url: "postgres://postgres@127.0.0.1:1/none", logger: Logger(label: "test"))
        }
        await #expect(throws: SQLError.self) {
            _ = try await SQLDatabases.open(url: "mysql://localhost/x", logger: Logger(label: "test"))
        }
    }
}
