import Logging

/// Opens the metadata database named by a URL: `postgres://…` for PostgreSQL, or
/// `sqlite:PATH` (`sqlite:///abs/path` also accepted) for the embedded SQLite file.
public enum SQLDatabases {
    public static func open(url: String, logger: Logger) async throws(SQLError) -> any SQLDatabase {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await PostgresSQLDatabase.connect(url: url, logger: logger)
        }
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw SQLError.unavailable("sqlite URL has no path") }
            return try await SQLiteSQLDatabase.open(path: path, logger: logger)
        }
        throw SQLError.unavailable("database URL must start with postgres:// or sqlite:")
    }
}
