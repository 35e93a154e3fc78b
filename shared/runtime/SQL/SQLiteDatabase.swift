import CSQLite
import Logging
import PakitConcurrency
import Synchronization

/// The embedded default: one SQLite file in WAL mode with `synchronous=FULL`, so a commit is
/// durable when it returns. One writer connection (SQLite allows one writer at a time, so
/// writes and transactions queue on a lock) and a few reader connections for concurrent reads.
///
/// Each connection lives on a thread of its own (`SQLiteConnection`): a statement costs one
/// hop there and back, its prepared form is reused, and its rows come back in one piece.
/// (SQLiteNIO, used before, prepared every statement again, ran it on NIO's shared thread pool
/// and sent every row back through the event loop: 8.6k point lookups/s from one client at
/// 10^6 blocks, against 16.5k/s now; docs/benchmarks.md.)
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
        let writer = try await SQLiteConnection.open(path: path, name: "pakit-sql-w")
        var readers: [SQLiteConnection] = []
        do {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"] {
                try await writer.execute(pragma, [])
            }
            for index in 0..<max(1, readerCount) {
                readers.append(try await SQLiteConnection.open(path: path, name: "pakit-sql-r\(index)"))
            }
        } catch {
            for connection in readers + [writer] { await connection.close() }
            throw SQLError.unavailable("cannot open SQLite database at \(path): \(error)")
        }
        return SQLiteSQLDatabase(writer: writer, readers: readers)
    }

    public func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        await writeLock.lock()
        defer { writeLock.unlock() }
        return try await writer.execute(sql, binds)
    }

    public func read(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await readers[abs(index % readers.count)].execute(sql, binds)
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        await writeLock.lock()
        defer { writeLock.unlock() }
        try await writer.execute("BEGIN IMMEDIATE", [])
        do {
            let result = try await body(Transaction(connection: writer))
            try await writer.execute("COMMIT", [])
            return result
        } catch {
            _ = try? await writer.execute("ROLLBACK", [])
            throw error
        }
    }

    public func ping() async throws(SQLError) {
        _ = try await read("SELECT 1", [])
    }

    public func close() async {
        await writeLock.lock()
        defer { writeLock.unlock() }
        for connection in readers + [writer] {
            await connection.close()
        }
    }

    /// The writer, inside a transaction the caller holds.
    struct Transaction: SQLExecutor {
        let connection: SQLiteConnection
        var dialect: SQLDialect { .sqlite }
        func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
            try await connection.execute(sql, binds)
        }
    }

    /// `$1` → `?1`: SQLite's numbered parameters keep the PostgreSQL numbering, so a
    /// statement may use one parameter several times. Statements never contain `$` otherwise.
    static func numberedPlaceholders(_ sql: String) -> String {
        sql.contains("$") ? String(sql.map { $0 == "$" ? "?" : $0 }) : sql
    }
}

/// One SQLite connection and the one thread that uses it.
///
/// SQLite calls block (file reads, fsync at commit, waiting on a busy lock), so they run on a
/// dedicated thread, never a cooperative one; one thread per connection also serialises the
/// connection's use without a lock (jobs run in FIFO order). Prepared statements are kept per
/// SQL text (`sqlite3_prepare_v3` with `SQLITE_PREPARE_PERSISTENT`) and reset after each use.
final class SQLiteConnection: @unchecked Sendable {
    // Touched only on `thread` (or before it is shared / after it is shut down).
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private let thread: ThreadPoolExecutor
    /// Set by `close()`: its thread is gone then, so nothing may be sent to it.
    private let closed = Atomic<Bool>(false)

    /// Statements kept prepared; past this the cache is emptied (statements whose text varies
    /// with the number of keys, like `IN ($1, …, $n)`, would otherwise grow it without end).
    static let statementCacheLimit = 256

    private init(handle: OpaquePointer, thread: ThreadPoolExecutor) {
        self.handle = handle
        self.thread = thread
    }

    static func open(path: String, name: String) async throws(SQLError) -> SQLiteConnection {
        let thread = ThreadPoolExecutor(threads: 1, name: name)
        do {
            let handle = try await thread.run { () throws(SQLError) -> OpaquePointer in
                var handle: OpaquePointer?
                let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
                let status = sqlite3_open_v2(path, &handle, flags, nil)
                guard status == SQLITE_OK, let handle else {
                    let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
                    sqlite3_close_v2(handle)
                    throw SQLError.unavailable("cannot open SQLite database at \(path): \(message)")
                }
                sqlite3_busy_timeout(handle, 10_000)
                return handle
            }
            return SQLiteConnection(handle: handle, thread: thread)
        } catch {
            thread.shutdown()
            throw error
        }
    }

    /// Runs one statement (or several separated by `;`, returning the last one's rows).
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow] {
        guard !closed.load(ordering: .acquiring) else { throw SQLError.unavailable("the SQLite database is closed") }
        return try await thread.run { () throws(SQLError) -> [SQLRow] in try self.executeHere(sql, binds) }
    }

    func close() async {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await thread.run {
            for statement in statements.values { sqlite3_finalize(statement) }
            statements.removeAll()
            sqlite3_close_v2(handle)
            handle = nil
        }
        thread.shutdown()
    }

    // MARK: on the connection's thread

    private func executeHere(_ sql: String, _ binds: [SQLValue]) throws(SQLError) -> [SQLRow] {
        guard let handle else { throw SQLError.unavailable("the SQLite connection is closed") }
        let text = SQLiteSQLDatabase.numberedPlaceholders(sql)
        if let statement = statements[text] {
            return try run(statement, binds, handle: handle)
        }
        let (first, tail) = try prepare(Substring(text), handle: handle)
        guard let first else { return [] }  // only whitespace or comments
        if tail.allSatisfy(\.isWhitespace) {
            if statements.count >= Self.statementCacheLimit {
                for statement in statements.values { sqlite3_finalize(statement) }
                statements.removeAll()
            }
            statements[text] = first
            return try run(first, binds, handle: handle)
        }
        // Several statements in one text (migrations): run each once, uncached.
        var next: OpaquePointer? = first
        var remaining = tail
        var rows: [SQLRow] = []
        while let statement = next {
            defer { sqlite3_finalize(statement) }
            rows = try run(statement, binds, handle: handle)
            (next, remaining) = try prepare(remaining, handle: handle)
        }
        return rows
    }

    private func prepare(_ sql: Substring, handle: OpaquePointer) throws(SQLError) -> (OpaquePointer?, Substring) {
        var utf8 = Array(sql.utf8)
        utf8.append(0)
        var statement: OpaquePointer?
        var consumed = 0
        let status = utf8.withUnsafeBufferPointer { buffer -> Int32 in
            buffer.withMemoryRebound(to: CChar.self) { characters -> Int32 in
                guard let base = characters.baseAddress else { return SQLITE_MISUSE }
                var tail: UnsafePointer<CChar>?
                let status = sqlite3_prepare_v3(handle, base, Int32(characters.count), UInt32(SQLITE_PREPARE_PERSISTENT), &statement, &tail)
                consumed = tail.map { $0 - base } ?? characters.count - 1
                return status
            }
        }
        guard status == SQLITE_OK else {
            throw SQLError.statement("\(String(cString: sqlite3_errmsg(handle))) in: \(sql.prefix(200))")
        }
        let tail = String(decoding: utf8[min(consumed, utf8.count - 1)..<(utf8.count - 1)], as: UTF8.self)
        return (statement, Substring(tail))
    }

    private func run(_ statement: OpaquePointer, _ binds: [SQLValue], handle: OpaquePointer) throws(SQLError) -> [SQLRow] {
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(statement, index)
            case .integer(let v): status = sqlite3_bind_int64(statement, index, v)
            case .real(let v): status = sqlite3_bind_double(statement, index, v)
            case .text(let v):
                status = v.withCString { pakit_sqlite3_bind_text_copy(statement, index, $0, Int32(v.utf8.count)) }
            case .blob(let v) where v.isEmpty:
                // A null pointer would bind NULL: an empty blob is bound as one explicitly.
                status = sqlite3_bind_zeroblob(statement, index, 0)
            case .blob(let v):
                status = v.withUnsafeBytes { pakit_sqlite3_bind_blob_copy(statement, index, $0.baseAddress, Int32($0.count)) }
            }
            guard status == SQLITE_OK else {
                throw SQLError.statement("cannot bind parameter \(index): \(String(cString: sqlite3_errmsg(handle)))")
            }
        }
        let columnCount = sqlite3_column_count(statement)
        let columns = (0..<columnCount).map { String(cString: sqlite3_column_name(statement, $0)) }
        var rows: [SQLRow] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else {
                throw SQLError.statement(String(cString: sqlite3_errmsg(handle)))
            }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                values.append(Self.value(statement, column))
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
    }

    private static func value(_ statement: OpaquePointer, _ column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard let text = sqlite3_column_text(statement, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, column))
            guard let bytes = sqlite3_column_blob(statement, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }
}
