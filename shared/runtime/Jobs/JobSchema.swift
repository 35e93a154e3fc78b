import PakitSQL

/// The `jobs` table, under its own migration schema so every service that embeds the queue
/// applies it the same way (before its own migrations, which may enqueue or move jobs).
/// Times are Unix milliseconds.
public enum JobSchema {
    public static let name = "jobs"

    /// Channel of PostgreSQL's `NOTIFY` when a job becomes claimable; the payload is its kind.
    public static let channel = "pakit_jobs"

    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "jobs",
            postgres: [
                """
                CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, idempotency_key TEXT,
                  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, not_before BIGINT NOT NULL,
                  lease_holder TEXT, lease_token TEXT, lease_expires_at BIGINT, progress TEXT, result TEXT, last_error TEXT,
                  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, completed_at BIGINT)
                """,
                "CREATE UNIQUE INDEX jobs_idempotency ON jobs (kind, idempotency_key)",
                "CREATE INDEX jobs_claimable ON jobs (state, not_before, created_at)",
                "CREATE INDEX jobs_leases ON jobs (state, lease_expires_at)",
                "CREATE INDEX jobs_by_kind ON jobs (kind, created_at)",
                "CREATE INDEX jobs_by_time ON jobs (created_at)",
            ],
            sqlite: [
                """
                CREATE TABLE jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, idempotency_key TEXT,
                  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, not_before INTEGER NOT NULL,
                  lease_holder TEXT, lease_token TEXT, lease_expires_at INTEGER, progress TEXT, result TEXT, last_error TEXT,
                  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, completed_at INTEGER) WITHOUT ROWID
                """,
                "CREATE UNIQUE INDEX jobs_idempotency ON jobs (kind, idempotency_key)",
                "CREATE INDEX jobs_claimable ON jobs (state, not_before, created_at)",
                "CREATE INDEX jobs_leases ON jobs (state, lease_expires_at)",
                "CREATE INDEX jobs_by_kind ON jobs (kind, created_at)",
                "CREATE INDEX jobs_by_time ON jobs (created_at)",
            ]),
    ]

    /// Applies the queue's migrations.
    public static func migrate(_ database: any SQLDatabase, logger: Logger) async throws {
        try await Migrator.migrate(database, schema: name, migrations: migrations, logger: logger)
    }
}

import Logging
