import PakitSQL

/// The bridge's tables (schema "lora", SQLite or PostgreSQL): transfers and their fragments,
/// the indexes of this node and its radio peers, emergency alerts, the Mesh-pallet queue, and
/// the airtime this bridge spent per minute of device time (its duty-cycle ledger).
enum BridgeSchema {
    static let migrations: [Migration] = [
        Migration(version: 1, name: "transfers", postgres: [
            """
            CREATE TABLE lora_transfers (id TEXT PRIMARY KEY, cid TEXT NOT NULL, peer BIGINT NOT NULL, session BIGINT NOT NULL,
              state TEXT NOT NULL, block_size BIGINT, parity BIGINT NOT NULL DEFAULT 0, requests BIGINT NOT NULL DEFAULT 0,
              recovered BIGINT NOT NULL DEFAULT 0, relays BIGINT NOT NULL DEFAULT 0, error TEXT,
              started_at BIGINT NOT NULL, finished_at BIGINT)
            """,
            "CREATE INDEX lora_transfers_state ON lora_transfers (state, started_at)",
            "CREATE TABLE lora_fragments (transfer_id TEXT NOT NULL, idx BIGINT NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY (transfer_id, idx))",
        ], sqlite: [
            """
            CREATE TABLE lora_transfers (id TEXT PRIMARY KEY, cid TEXT NOT NULL, peer INTEGER NOT NULL, session INTEGER NOT NULL,
              state TEXT NOT NULL, block_size INTEGER, parity INTEGER NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0,
              recovered INTEGER NOT NULL DEFAULT 0, relays INTEGER NOT NULL DEFAULT 0, error TEXT,
              started_at INTEGER NOT NULL, finished_at INTEGER)
            """,
            "CREATE INDEX lora_transfers_state ON lora_transfers (state, started_at)",
            "CREATE TABLE lora_fragments (transfer_id TEXT NOT NULL, idx INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (transfer_id, idx))",
        ]),
        Migration(version: 2, name: "indexes and alerts", postgres: [
            "CREATE TABLE lora_indexes (owner BIGINT PRIMARY KEY, sequence BIGINT NOT NULL, synced BIGINT NOT NULL)",
            "CREATE TABLE lora_index_entries (owner BIGINT NOT NULL, fingerprint BIGINT NOT NULL, PRIMARY KEY (owner, fingerprint))",
            """
            CREATE TABLE lora_alerts (public_key BYTEA NOT NULL, id BIGINT NOT NULL, issued_at BIGINT NOT NULL, severity BIGINT NOT NULL,
              message BYTEA NOT NULL, signature BYTEA NOT NULL, origin BIGINT NOT NULL, received_at BIGINT NOT NULL,
              relays_heard BIGINT NOT NULL DEFAULT 0, transmissions BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (public_key, id))
            """,
            "CREATE INDEX lora_alerts_received ON lora_alerts (received_at)",
        ], sqlite: [
            "CREATE TABLE lora_indexes (owner INTEGER PRIMARY KEY, sequence INTEGER NOT NULL, synced INTEGER NOT NULL)",
            "CREATE TABLE lora_index_entries (owner INTEGER NOT NULL, fingerprint INTEGER NOT NULL, PRIMARY KEY (owner, fingerprint))",
            """
            CREATE TABLE lora_alerts (public_key BLOB NOT NULL, id INTEGER NOT NULL, issued_at INTEGER NOT NULL, severity INTEGER NOT NULL,
              message BLOB NOT NULL, signature BLOB NOT NULL, origin INTEGER NOT NULL, received_at INTEGER NOT NULL,
              relays_heard INTEGER NOT NULL DEFAULT 0, transmissions INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (public_key, id))
            """,
            "CREATE INDEX lora_alerts_received ON lora_alerts (received_at)",
        ]),
        Migration(version: 3, name: "mesh pallet queue", postgres: [
            """
            CREATE TABLE lora_chain_queue (key TEXT PRIMARY KEY, call TEXT NOT NULL, call_name TEXT NOT NULL, route TEXT NOT NULL,
              state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, last_error TEXT, submission_id TEXT,
              created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX lora_chain_queue_state ON lora_chain_queue (state, created_at)",
        ], sqlite: [
            """
            CREATE TABLE lora_chain_queue (key TEXT PRIMARY KEY, call TEXT NOT NULL, call_name TEXT NOT NULL, route TEXT NOT NULL,
              state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, submission_id TEXT,
              created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)
            """,
            "CREATE INDEX lora_chain_queue_state ON lora_chain_queue (state, created_at)",
        ]),
        Migration(version: 4, name: "airtime ledger", postgres: [
            "CREATE TABLE lora_airtime (minute BIGINT PRIMARY KEY, airtime_ms DOUBLE PRECISION NOT NULL)",
        ], sqlite: [
            "CREATE TABLE lora_airtime (minute INTEGER PRIMARY KEY, airtime_ms REAL NOT NULL)",
        ]),
    ]
}
