import Logging
import PakitJobs
import PakitSQL

/// The storage service's tables. Block keys are binary CIDv1 (`BYTEA`/`BLOB`); times are Unix
/// seconds, except in `commitments`, whose times are Unix milliseconds. Seal and proof jobs
/// live in the runtime's job queue (`jobs`, `JobSchema`) since v3.
public enum StorageSchema {
    public static let name = "storage"

    /// Brings a database to the current schema: the job queue's table first, because
    /// migration 3 moves the old proof jobs into it.
    public static func migrate(_ database: any SQLDatabase, logger: Logger) async throws {
        try await JobSchema.migrate(database, logger: logger)
        try await Migrator.migrate(database, schema: name, migrations: migrations, logger: logger)
    }

    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "blocks, links, files, pins, tokens, counters",
            postgres: [
                "CREATE TABLE blocks (cid BYTEA PRIMARY KEY, size BIGINT NOT NULL, stored_size BIGINT NOT NULL, encoding INTEGER NOT NULL, created_at BIGINT NOT NULL)",
                "CREATE TABLE links (parent BYTEA NOT NULL, child BYTEA NOT NULL, PRIMARY KEY (parent, child))",
                "CREATE TABLE files (cid BYTEA PRIMARY KEY, cid_text TEXT NOT NULL, name TEXT, size BIGINT NOT NULL, profile TEXT NOT NULL, leaves BIGINT NOT NULL, blake2_root BYTEA NOT NULL, merkle_leaves BYTEA NOT NULL, add_count BIGINT NOT NULL, created_at BIGINT NOT NULL)",
                "CREATE TABLE pins (cid BYTEA PRIMARY KEY, cid_text TEXT NOT NULL, name TEXT, created_at BIGINT NOT NULL)",
                "CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash BYTEA NOT NULL UNIQUE, scopes TEXT NOT NULL, created_at BIGINT NOT NULL)",
                "CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            ],
            sqlite: [
                "CREATE TABLE blocks (cid BLOB PRIMARY KEY, size INTEGER NOT NULL, stored_size INTEGER NOT NULL, encoding INTEGER NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID",
                "CREATE TABLE links (parent BLOB NOT NULL, child BLOB NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID",
                "CREATE TABLE files (cid BLOB PRIMARY KEY, cid_text TEXT NOT NULL, name TEXT, size INTEGER NOT NULL, profile TEXT NOT NULL, leaves INTEGER NOT NULL, blake2_root BLOB NOT NULL, merkle_leaves BLOB NOT NULL, add_count INTEGER NOT NULL, created_at INTEGER NOT NULL)",
                "CREATE TABLE pins (cid BLOB PRIMARY KEY, cid_text TEXT NOT NULL, name TEXT, created_at INTEGER NOT NULL)",
                "CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash BLOB NOT NULL UNIQUE, scopes TEXT NOT NULL, created_at INTEGER NOT NULL)",
                "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
            ]),
        Migration(
            version: 2, name: "commitments and proof jobs",
            postgres: [
                "CREATE TABLE commitments (cid BYTEA PRIMARY KEY, cid_text TEXT NOT NULL, status TEXT NOT NULL, root TEXT, chunk_count BIGINT, byte_count BIGINT, tree_file TEXT, tree_sha256 TEXT, error TEXT, created_at BIGINT NOT NULL, completed_at BIGINT)",
                "CREATE TABLE proof_jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, cid BYTEA NOT NULL, cid_text TEXT NOT NULL, circuit TEXT, root TEXT, beacon TEXT, blocks TEXT, chunk_indices TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL, lease_owner TEXT, lease_until BIGINT, last_prover TEXT, result TEXT, error TEXT, created_at BIGINT NOT NULL, completed_at BIGINT)",
                "CREATE INDEX proof_jobs_pending ON proof_jobs (status, created_at)",
                "CREATE INDEX proof_jobs_cid ON proof_jobs (cid)",
            ],
            sqlite: [
                "CREATE TABLE commitments (cid BLOB PRIMARY KEY, cid_text TEXT NOT NULL, status TEXT NOT NULL, root TEXT, chunk_count INTEGER, byte_count INTEGER, tree_file TEXT, tree_sha256 TEXT, error TEXT, created_at INTEGER NOT NULL, completed_at INTEGER) WITHOUT ROWID",
                "CREATE TABLE proof_jobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, cid BLOB NOT NULL, cid_text TEXT NOT NULL, circuit TEXT, root TEXT, beacon TEXT, blocks TEXT, chunk_indices TEXT, status TEXT NOT NULL, attempts INTEGER NOT NULL, lease_owner TEXT, lease_until INTEGER, last_prover TEXT, result TEXT, error TEXT, created_at INTEGER NOT NULL, completed_at INTEGER) WITHOUT ROWID",
                "CREATE INDEX proof_jobs_pending ON proof_jobs (status, created_at)",
                "CREATE INDEX proof_jobs_cid ON proof_jobs (cid)",
            ]),
        // Proof jobs become kinds of the runtime's job queue; every row moves (unfinished ones
        // queued again, finished proofs stay readable through GET /v1/proofs/{id}), with the
        // proof facts as the payload and the prover attempts as progress.
        Migration(
            version: 3, name: "proof jobs move to the job queue",
            postgres: [
                "ALTER TABLE commitments ADD COLUMN seal_job TEXT",
                """
                INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, not_before, progress, result, last_error, created_at, updated_at, completed_at)
                SELECT id, 'storage.' || kind, json_build_object('cid', cid_text, 'circuit', circuit, 'root', root, 'beacon', beacon, 'blocks', ('[' || COALESCE(blocks, '') || ']')::json, 'chunkIndices', ('[' || COALESCE(chunk_indices, '') || ']')::json)::text,
                       CASE WHEN status IN ('queued', 'running') THEN 'queued' ELSE status END, 0, 20, created_at,
                       json_build_object('proverAttempts', attempts, 'lastProver', last_prover, 'lastError', error)::text, result,
                       CASE WHEN status = 'failed' THEN error ELSE NULL END, created_at, COALESCE(completed_at, created_at), completed_at
                FROM proof_jobs
                """,
                "UPDATE commitments SET seal_job = (SELECT p.id FROM proof_jobs p WHERE p.cid = commitments.cid AND p.kind = 'seal' ORDER BY p.created_at DESC, p.id DESC LIMIT 1)",
                "DROP TABLE proof_jobs",
            ],
            sqlite: [
                "ALTER TABLE commitments ADD COLUMN seal_job TEXT",
                """
                INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, not_before, progress, result, last_error, created_at, updated_at, completed_at)
                SELECT id, 'storage.' || kind, json_object('cid', cid_text, 'circuit', circuit, 'root', root, 'beacon', beacon, 'blocks', json('[' || COALESCE(blocks, '') || ']'), 'chunkIndices', json('[' || COALESCE(chunk_indices, '') || ']')),
                       CASE WHEN status IN ('queued', 'running') THEN 'queued' ELSE status END, 0, 20, created_at,
                       json_object('proverAttempts', attempts, 'lastProver', last_prover, 'lastError', error), result,
                       CASE WHEN status = 'failed' THEN error ELSE NULL END, created_at, COALESCE(completed_at, created_at), completed_at
                FROM proof_jobs
                """,
                "UPDATE commitments SET seal_job = (SELECT p.id FROM proof_jobs p WHERE p.cid = commitments.cid AND p.kind = 'seal' ORDER BY p.created_at DESC, p.id DESC LIMIT 1)",
                "DROP TABLE proof_jobs",
            ]),
        // Replication: a pin's factor, who holds its replicas and the job now working on them
        // (origin side); the DAGs this node holds for other nodes (replica side). A pin row
        // stays while it is this node's own (`own`) or any node still has it held here.
        Migration(
            version: 4, name: "replication",
            postgres: [
                "ALTER TABLE pins ADD COLUMN replication_factor INTEGER NOT NULL DEFAULT 1",
                "ALTER TABLE pins ADD COLUMN own INTEGER NOT NULL DEFAULT 1",
                "CREATE TABLE replication_rounds (cid BYTEA PRIMARY KEY, round BIGINT NOT NULL, job TEXT)",
                "CREATE TABLE replicas (cid BYTEA NOT NULL, peer_id TEXT NOT NULL, storage_url TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, statement TEXT, updated_at BIGINT NOT NULL, PRIMARY KEY (cid, peer_id))",
                "CREATE TABLE replica_holds (cid BYTEA NOT NULL, origin TEXT NOT NULL, bytes BIGINT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (cid, origin))",
            ],
            sqlite: [
                "ALTER TABLE pins ADD COLUMN replication_factor INTEGER NOT NULL DEFAULT 1",
                "ALTER TABLE pins ADD COLUMN own INTEGER NOT NULL DEFAULT 1",
                "CREATE TABLE replication_rounds (cid BLOB PRIMARY KEY, round INTEGER NOT NULL, job TEXT) WITHOUT ROWID",
                "CREATE TABLE replicas (cid BLOB NOT NULL, peer_id TEXT NOT NULL, storage_url TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, statement TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY (cid, peer_id)) WITHOUT ROWID",
                "CREATE TABLE replica_holds (cid BLOB NOT NULL, origin TEXT NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (cid, origin)) WITHOUT ROWID",
            ]),
        // Anchored content ids (what BelizeChain's StorageProof and Bns records hold) and the
        // roots they name, so a `.bz` name's content hash leads back to a CID.
        Migration(
            version: 5, name: "anchors",
            postgres: ["CREATE TABLE anchors (content_id BYTEA PRIMARY KEY, cid BYTEA NOT NULL, created_at BIGINT NOT NULL)"],
            sqlite: ["CREATE TABLE anchors (content_id BLOB PRIMARY KEY, cid BLOB NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID"]),
        // Storage bought on chain: payments to the node's relay account (read from the relay,
        // each credited once) and each payer's quota.
        Migration(
            version: 6, name: "quotas",
            both: [
                "CREATE TABLE quota_accounts (account TEXT PRIMARY KEY, credited_planck TEXT NOT NULL, quota_bytes BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
                """
                CREATE TABLE quota_payments (payment_id TEXT PRIMARY KEY, block_number BIGINT NOT NULL, event_index BIGINT NOT NULL, account TEXT NOT NULL,
                  amount TEXT NOT NULL, bytes BIGINT NOT NULL, credited_at BIGINT NOT NULL)
                """,
                "CREATE INDEX quota_payments_order ON quota_payments (block_number, event_index)",
            ]),
    ]
}
