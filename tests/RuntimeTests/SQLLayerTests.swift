import Foundation
import Logging
import PakitSQL
import PakitTLS
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

    @Test("prepared statements are reused and stay correct past the cache; empty blobs, text and reals round-trip; errors name the cause",
          arguments: Backend.available)
    func statementsAndValues(backend: Backend) async throws {
        let (database, path) = try await Self.open(backend)
        defer { if !path.isEmpty { try? FileManager.default.removeItem(atPath: path) } }
        try await Migrator.migrate(database, schema: "test", migrations: Self.migrations, logger: Logger(label: "test.sql"))
        try await database.query("INSERT INTO items (id, n, label) VALUES ($1, $2, $3)", [.blob([]), .integer(-1), .text("naïve ✓ 'quoted'")])
        let row = try #require(try await database.read("SELECT id, n, label FROM items WHERE n = $1", [.integer(-1)]).first)
        #expect(try row.blob("id") == [], "an empty blob must not come back as NULL")
        #expect(try row.text("label") == "naïve ✓ 'quoted'")
        // The same statement with other values, many times: a reused statement must not keep old bindings.
        for i in 0..<300 {
            try await database.query("INSERT INTO items (id, n) VALUES ($1, $2)", [.blob(withUnsafeBytes(of: Int64(i)) { Array($0) }), .integer(Int64(i))])
        }
        // More distinct statements than the SQLite statement cache holds (256): all still answer right.
        for width in 1...300 {
            let sql = "SELECT COUNT(*) AS n FROM items WHERE n IN (" + (1...width).map { "$\($0)" }.joined(separator: ", ") + ")"
            let count = try await database.read(sql, (0..<width).map { .integer(Int64($0)) }).first?.int("n")
            #expect(count == Int64(width))
        }
        let real = try await database.read("SELECT CAST($1 AS DOUBLE PRECISION) AS x", [.real(0.25)]).first?["x"]
        #expect(real == .real(0.25))
        await #expect(throws: SQLError.self) { try await database.read("SELECT nothing FROM nowhere", []) }
        await database.close()
        if case .sqlite = backend {
            // Each SQLite connection's thread ends with it: a late statement gets an error, not a hang.
            await #expect(throws: SQLError.self) { try await database.read("SELECT 1 AS one", []) }
            await #expect(throws: SQLError.self) { try await database.query("SELECT 1 AS one", []) }
        }
    }

    @Test("PostgreSQL notifications: LISTEN reports .listening, delivers NOTIFY payloads in order, and resubscribes after the server ends its session",
          .enabled(if: Backend.available.contains(.postgres)))
    func postgresNotifications() async throws {
        let (database, _) = try await Self.open(.postgres)
        let stream = try #require(database.notifications(channel: "pakit test channel"))
        var events = stream.makeAsyncIterator()
        #expect(await events.next() == .listening)
        for payload in ["one", "two", "naïve ✓"] {
            try await database.notify(channel: "pakit test channel", payload: payload)
        }
        #expect(await events.next() == .message("one"))
        #expect(await events.next() == .message("two"))
        #expect(await events.next() == .message("naïve ✓"))
        // The server ends the listening session (as a restart or failover would): the listener
        // reconnects by itself and says so, and delivers what is sent afterwards.
        let ended = try await database.query(
            "SELECT COUNT(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()) AS ended", [])
        #expect(try ended.first?.int("n") == 1)
        #expect(await events.next() == .listening)
        try await database.notify(channel: "pakit test channel", payload: "after")
        #expect(await events.next() == .message("after"))
        await database.close()
    }

    @Test("a pooled PostgreSQL connection whose session the server ended is reconnected on its next use",
          .enabled(if: Backend.available.contains(.postgres)))
    func postgresReconnects() async throws {
        let (database, _) = try await Self.open(.postgres)
        try await Migrator.migrate(database, schema: "test", migrations: Self.migrations, logger: Logger(label: "test.sql"))
        try await database.query("INSERT INTO items (id, n) VALUES ($1, $2)", [.blob([7]), .integer(7)])
        // One client, so one connection: the statement ends its own session.
        await #expect(throws: SQLError.self) { try await database.query("SELECT pg_terminate_backend(pg_backend_pid())", []) }
        #expect(try await database.read("SELECT n FROM items WHERE id = $1", [.blob([7])]).first?.int("n") == 7)
        await database.close()
        await #expect(throws: SQLError.self) { try await database.read("SELECT 1 AS one", []) }
    }

    /// `tests/run-all.sh` serves its PostgreSQL over TLS too (`ssl=on`, a certificate for
    /// 127.0.0.1 whose PEM path is in `PAKIT_TEST_POSTGRES_TLS_ROOT`); plain connections stay
    /// allowed so the other suites need no TLS.
    @Test("PostgreSQL over TLS: sslmode=require and verify-full encrypt the connection; verify-full refuses an unknown issuer with a clear error",
          .enabled(if: ProcessInfo.processInfo.environment["PAKIT_TEST_POSTGRES_TLS_ROOT"] != nil))
    func postgresTLS() async throws {
        let environment = ProcessInfo.processInfo.environment
        let base = try #require(environment["PAKIT_TEST_POSTGRES_URL"])
        let root = try #require(environment["PAKIT_TEST_POSTGRES_TLS_ROOT"])
        let logger = Logger(label: "test.sql.tls")
        let encrypted = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        for mode in ["disable", "require", "verify-full&sslrootcert=\(root)"] {
            let database = try await SQLDatabases.open(url: "\(base)?sslmode=\(mode)", logger: logger)
            let row = try #require(try await database.read(encrypted, []).first)
            // pg_stat_ssl.ssl is a boolean; the SQL layer reads booleans as integers.
            #expect(row["ssl"] == .integer(mode == "disable" ? 0 : 1), "sslmode=\(mode)")
            await database.close()
        }
        // A root that did not issue the server's certificate: verification fails, quickly and clearly.
        let directory = NSTemporaryDirectory() + "pakit-stranger-ca-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stranger = try LocalCertificateAuthority.loadOrCreate(in: directory)
        await #expect(throws: SQLError.self) {
            _ = try await SQLDatabases.open(url: "\(base)?sslmode=verify-full&sslrootcert=\(stranger.certificatePath)", logger: logger)
        }
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
