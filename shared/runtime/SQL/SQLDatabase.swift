/// Which SQL engine is behind a `SQLDatabase`; statements that differ (DDL) are chosen by it.
public enum SQLDialect: String, Sendable {
    case postgres
    case sqlite
}

/// Something that runs parameterised statements: a database or an open transaction.
///
/// Statements use PostgreSQL's `$1, $2, …` parameter markers on both engines; the SQLite side
/// rewrites them to its own numbered `?1, ?2, …` form.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow]
}

extension SQLExecutor {
    @discardableResult
    public func query(_ sql: String) async throws(SQLError) -> [SQLRow] { try await query(sql, []) }
}

/// The one query layer over PostgreSQL (production) and SQLite (embedded default).
public protocol SQLDatabase: SQLExecutor {
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs a read-only statement, possibly on another pooled connection than writes use.
    func read(_ sql: String, _ binds: [SQLValue]) async throws(SQLError) -> [SQLRow]
    /// Cheap round trip used by readiness checks.
    func ping() async throws(SQLError)
    /// Closes every connection; the database is unusable afterwards.
    func close() async
}

extension SQLDatabase {
    public func read(_ sql: String) async throws(SQLError) -> [SQLRow] { try await read(sql, []) }
}
