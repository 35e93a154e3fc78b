import Logging
import NIOCore
import NIOPosix
import PakitConcurrency
import SQLiteNIO
import Synchronization

/// The embedded default: one SQLite file in WAL mode with `synchronous=FULL`, so a commit is
/// durable when it returns. One writer connection (SQLite allows one writer at a time, so
/// writes and transactions queue on a lock) and a few reader connections for concurrent reads.
public final class SQLiteSQLDatabase: SQLDatabase {
    public let dialect = SQLDialect.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let writeLock = AsyncMutex()
    private let nextReader = Atomic<Int>(0)

    private init(writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.writer = writer
        self.readers = readers
    }

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String, readers readerCount: Int = 2, logger: Logger) async throws(SQLError) -> SQLiteSQLDatabase {
        do {
            let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000"] {
                _ = try await writer.query(pragma, []).get()
            }
            var readers: [SQLiteConnection] = []
            for _ in 0..<max(1, readerCount) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                _ = try await reader.query("PRAGMA busy_timeout=10000", []).get()
                readers.append(reader)
            }
            return SQLiteSQLDatabase(writer: writer, readers: readers)
        } catch {
            throw SQLError.unavailable("cannot open SQLite database at \(path): \(error)")
        }
    }

    public func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        await writeLock.lock()
        defer { writeLock.unlock() }
        return try await Self.run(writer, sql, binds)
    }

    public func read(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await Self.run(readers[abs(index) % readers.count], sql, binds)
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        await writeLock.lock()
        defer { writeLock.unlock() }
        let executor = Connection(connection: writer)
        try await Self.run(writer, "BEGIN IMMEDIATE", [])
        do {
            let result = try await body(executor)
            try await Self.run(writer, "COMMIT", [])
            return result
        } catch {
            _ = try? await Self.run(writer, "ROLLBACK", [])
            throw error
        }
    }

    public func ping() async throws(SQLError) {
        _ = try await read("SELECT 1", [])
    }

    public func close() async {
        for connection in readers + [writer] {
            try? await connection.close()
        }
    }

    /// Executes on a connection already owned by the caller (inside a transaction).
    struct Connection: SQLExecutor {
        let connection: SQLiteConnection
        var dialect: SQLDialect { .sqlite }
        func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
            try await SQLiteSQLDatabase.run(connection, sql, binds)
        }
    }

    @discardableResult
    static func run(_ connection: SQLiteConnection, _ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        let data = binds.map { value -> SQLiteData in
            switch value {
            case .null: .null
            case .integer(let v): .integer(SQLiteInt64(v))
            case .text(let v): .text(v)
            case .blob(let v): .blob(ByteBuffer(bytes: v))
            case .real(let v): .float(v)
            }
        }
        do {
            let rows = try await connection.query(numberedPlaceholders(sql), data).get()
            return rows.map { row in
                SQLRow(
                    columns: row.columns.map(\.name),
                    values: row.columns.map { column in
                        switch column.data {
                        case .null: .null
                        case .integer(let v): .integer(Int64(v))
                        case .float(let v): .real(v)
                        case .text(let v): .text(v)
                        case .blob(var buffer): .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
                        }
                    })
            }
        } catch {
            throw SQLError.statement("\(error)")
        }
    }

    /// `$1` → `?1`: SQLite's numbered parameters keep the PostgreSQL numbering, so a
    /// statement may use one parameter several times. Statements never contain `$` otherwise.
    static func numberedPlaceholders(_ sql: String) -> String {
        sql.contains("$") ? sql.replacingOccurrences(of: "$", with: "?") : sql
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(self.map { $0 == target ? replacement : $0 })
    }
}
