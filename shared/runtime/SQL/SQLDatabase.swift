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
    /// `NOTIFY` messages on `channel`, received on a dedicated connection that reconnects by
    /// itself; nil where the engine has no notifications (SQLite: its writers are in-process,
    /// so they wake their waiters directly). Ends when the consumer stops iterating.
    func notifications(channel: String) -> AsyncStream<SQLNotification>?
}

/// What a notification stream delivers.
public enum SQLNotification: Sendable, Equatable {
    /// The listener is (again) subscribed: anything sent while it was not is missed, so look now.
    case listening
    /// One `NOTIFY channel, payload`.
    case message(String)
}

extension SQLDatabase {
    public func notifications(channel: String) -> AsyncStream<SQLNotification>? { nil }
}

extension SQLExecutor {
    /// Sends `NOTIFY channel, payload` on PostgreSQL (delivered at commit when inside a
    /// transaction); does nothing on SQLite.
    public func notify(channel: String, payload: String) async throws(SQLError) {
        guard dialect == .postgres else { return }
        // pg_notify returns void, which has no decoder: select a constant instead.
        try await query("SELECT 1 AS notified FROM (SELECT pg_notify($1, $2)) AS sent", [.text(channel), .text(payload)])
    }
}

extension SQLDatabase {
    public func read(_ sql: String) async throws(SQLError) -> [SQLRow] { try await read(sql, []) }
}
