import Logging

/// One schema change, written once per dialect where the DDL differs.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let postgres: [String]
    public let sqlite: [String]

    public init(version: Int, name: String, postgres: [String], sqlite: [String]) {
        self.version = version
        self.name = name
        self.postgres = postgres
        self.sqlite = sqlite
    }

    /// For statements that read the same on both engines.
    public init(version: Int, name: String, both: [String]) {
        self.init(version: version, name: name, postgres: both, sqlite: both)
    }
}

/// Applies versioned migrations at start-up, each in its own transaction, in order, once.
public enum Migrator {
    public static func migrate(
        _ database: any SQLDatabase, schema: String, migrations: [Migration], logger: Logger
    ) async throws {
        try await database.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (schema_name TEXT NOT NULL, version BIGINT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (schema_name, version))"
        )
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let applied: Bool = try await database.transaction { tx in
                if tx.dialect == .postgres {
                    // Serialises concurrent start-ups of several instances on one database.
                    try await tx.query("SELECT pg_advisory_xact_lock(7220717)")
                }
                let rows = try await tx.query(
                    "SELECT version FROM schema_migrations WHERE schema_name = $1 AND version = $2",
                    [.text(schema), .integer(Int64(migration.version))])
                if !rows.isEmpty { return false }
                let statements = tx.dialect == .postgres ? migration.postgres : migration.sqlite
                for statement in statements {
                    do {
                        try await tx.query(statement)
                    } catch {
                        throw SQLError.migration(version: migration.version, "\(error)")
                    }
                }
                try await tx.query(
                    "INSERT INTO schema_migrations (schema_name, version, name) VALUES ($1, $2, $3)",
                    [.text(schema), .integer(Int64(migration.version)), .text(migration.name)])
                return true
            }
            if applied {
                logger.info("applied migration", metadata: ["schema": "\(schema)", "version": "\(migration.version)", "name": "\(migration.name)"])
            }
        }
    }
}
