import Foundation
import PakitContracts
import PakitSQL

/// One outbox row as the submission pipeline works with it.
struct OutboxEntry: Sendable, Equatable {
    let id: String
    let callBytes: [UInt8]
    let callName: String
    let state: SubmissionState
    let nonce: UInt32?
    let extrinsic: [UInt8]?
    let txHash: String?
    /// The first block number at which the latest signing can no longer be included.
    let eraDeath: UInt32?
    let specVersion: UInt32?
    let transactionVersion: UInt32?
    let signings: Int
}

/// Why the outbox refused a request.
enum OutboxError: Error, Sendable {
    /// The idempotency key names an earlier submission of another call.
    case keyReused(existing: String)
    case database(SQLError)
}

/// The relay's durable outbox and its own state (next nonce, scan checkpoint, chain genesis),
/// in the service's database: PostgreSQL, or the SQLite file by default.
///
/// The one invariant that makes submissions exactly-once: a nonce is held by at most one
/// submission (a unique index), a submission keeps its nonce across re-signings, and it gives
/// the nonce up only when the finalized chain shows the nonce used by something else (or the
/// node refused the call itself before it could be included).
struct OutboxStore: Sendable {
    let database: any SQLDatabase

    static let migrations: [Migration] = [
        Migration(version: 1, name: "outbox", postgres: [
            """
            CREATE TABLE relay_submissions (id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, caller TEXT NOT NULL,
              call_name TEXT NOT NULL, call_json TEXT NOT NULL, call_bytes BYTEA NOT NULL, state TEXT NOT NULL, nonce BIGINT,
              extrinsic BYTEA, tx_hash TEXT, era_death BIGINT, spec_version BIGINT, transaction_version BIGINT,
              signings BIGINT NOT NULL DEFAULT 0, block_hash TEXT, block_number BIGINT, extrinsic_index BIGINT, error TEXT, note TEXT,
              created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, finalized_at BIGINT)
            """,
            "CREATE UNIQUE INDEX relay_submissions_nonce ON relay_submissions (nonce) WHERE nonce IS NOT NULL",
            "CREATE INDEX relay_submissions_state ON relay_submissions (state, created_at)",
            "CREATE TABLE relay_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ], sqlite: [
            """
            CREATE TABLE relay_submissions (id TEXT PRIMARY KEY, idempotency_key TEXT NOT NULL UNIQUE, caller TEXT NOT NULL,
              call_name TEXT NOT NULL, call_json TEXT NOT NULL, call_bytes BLOB NOT NULL, state TEXT NOT NULL, nonce INTEGER,
              extrinsic BLOB, tx_hash TEXT, era_death INTEGER, spec_version INTEGER, transaction_version INTEGER,
              signings INTEGER NOT NULL DEFAULT 0, block_hash TEXT, block_number INTEGER, extrinsic_index INTEGER, error TEXT, note TEXT,
              created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finalized_at INTEGER)
            """,
            "CREATE UNIQUE INDEX relay_submissions_nonce ON relay_submissions (nonce) WHERE nonce IS NOT NULL",
            "CREATE INDEX relay_submissions_state ON relay_submissions (state, created_at)",
            "CREATE TABLE relay_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]),
        // When a submission first reached a pool, and the best block then: what the benchmark
        // measures latency from.
        Migration(version: 2, name: "submitted at", both: [
            "ALTER TABLE relay_submissions ADD COLUMN submitted_at BIGINT",
            "ALTER TABLE relay_submissions ADD COLUMN submitted_block BIGINT",
        ]),
        // Payments to the relay's account, from finalized events, each once (block, event).
        Migration(version: 3, name: "payments", both: [
            """
            CREATE TABLE relay_payments (block_number BIGINT NOT NULL, event_index BIGINT NOT NULL, block_hash TEXT NOT NULL, asset TEXT NOT NULL,
              payer TEXT NOT NULL, amount TEXT NOT NULL, extrinsic_index BIGINT, recorded_at BIGINT NOT NULL, PRIMARY KEY (block_number, event_index))
            """,
            "CREATE INDEX relay_payments_payer ON relay_payments (payer, block_number, event_index)",
        ]),
    ]

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        return "sub_" + String((0..<20).map { _ in digits[Int(generator.next(upperBound: UInt64(digits.count)))] })
    }

    // MARK: intents

    /// Stores an intent (nothing is signed yet); the same key returns the first submission.
    func insert(_ request: SubmissionRequest, caller: String, callBytes: [UInt8]) async throws(OutboxError) -> (record: SubmissionRecord, created: Bool) {
        let callJSON = Self.json(request.call)
        let now = Self.now()
        do {
            let inserted = try await database.query(
                """
                INSERT INTO relay_submissions (id, idempotency_key, caller, call_name, call_json, call_bytes, state, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
                """, [.text(Self.newID()), .text(request.idempotencyKey), .text(caller), .text(request.call.name), .text(callJSON),
                      .blob(callBytes), .integer(now)])
            let rows = try await database.query("SELECT * FROM relay_submissions WHERE idempotency_key = $1", [.text(request.idempotencyKey)])
            guard let row = rows.first, let record = Self.record(row) else { throw SQLError.decoding("the submission just stored is missing") }
            if inserted.isEmpty, (try? row.text("call_json")) != callJSON {
                throw OutboxError.keyReused(existing: record.id)
            }
            return (record, !inserted.isEmpty)
        } catch let error as OutboxError {
            throw error
        } catch let error as SQLError {
            throw .database(error)
        } catch {
            throw .database(.decoding("\(error)"))
        }
    }

    func record(id: String) async throws(SQLError) -> SubmissionRecord? {
        try await database.read("SELECT * FROM relay_submissions WHERE id = $1", [.text(id)]).first.flatMap(Self.record)
    }

    func list(state: SubmissionState?, caller: String?, callName: String?, idempotencyKey: String? = nil, limit: Int) async throws(SQLError) -> [SubmissionRecord] {
        var conditions: [String] = []
        var binds: [SQLValue] = []
        if let state { binds.append(.text(state.rawValue)); conditions.append("state = $\(binds.count)") }
        if let caller { binds.append(.text(caller)); conditions.append("caller = $\(binds.count)") }
        if let callName { binds.append(.text(callName)); conditions.append("call_name = $\(binds.count)") }
        if let idempotencyKey { binds.append(.text(idempotencyKey)); conditions.append("idempotency_key = $\(binds.count)") }
        binds.append(.integer(Int64(limit)))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await database.read("SELECT * FROM relay_submissions \(filter) ORDER BY created_at DESC, id DESC LIMIT $\(binds.count)", binds)
            .compactMap(Self.record)
    }

    func counts() async throws(SQLError) -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await database.read("SELECT state, COUNT(*) AS n FROM relay_submissions GROUP BY state") {
            counts[try row.text("state")] = Int(try row.int("n"))
        }
        return counts
    }

    // MARK: the pipeline's reads

    /// Intents not signed yet, oldest first.
    func queued(limit: Int) async throws(SQLError) -> [OutboxEntry] {
        try await database.read("SELECT * FROM relay_submissions WHERE state = 'queued' ORDER BY created_at, id LIMIT $1", [.integer(Int64(limit))])
            .compactMap(Self.entry)
    }

    /// Signed and not final, by nonce.
    func inFlight() async throws(SQLError) -> [OutboxEntry] {
        try await database.read("SELECT * FROM relay_submissions WHERE state IN ('signed', 'submitted', 'in_block') ORDER BY nonce")
            .compactMap(Self.entry)
    }

    func entry(nonce: UInt32) async throws(SQLError) -> OutboxEntry? {
        try await database.read("SELECT * FROM relay_submissions WHERE nonce = $1", [.integer(Int64(nonce))]).first.flatMap(Self.entry)
    }

    func entry(id: String) async throws(SQLError) -> OutboxEntry? {
        try await database.read("SELECT * FROM relay_submissions WHERE id = $1", [.text(id)]).first.flatMap(Self.entry)
    }

    // MARK: the pipeline's writes

    /// The durable nonce allocator: the submission takes `nonce`, and the next one to give out
    /// moves past it, in one transaction with the signed bytes.
    func sign(_ id: String, nonce: UInt32, signed: SignedTransaction) async throws {
        try await database.transaction { executor in
            try await executor.query(
                """
                UPDATE relay_submissions SET state = 'signed', nonce = $2, extrinsic = $3, tx_hash = $4, era_death = $5, spec_version = $6,
                  transaction_version = $7, signings = signings + 1, error = NULL, updated_at = $8 WHERE id = $1
                """, [.text(id), .integer(Int64(nonce)), .blob(signed.bytes), .text(signed.hash), .integer(Int64(signed.eraDeath)),
                      .integer(Int64(signed.specVersion)), .integer(Int64(signed.transactionVersion)), .integer(Self.now())])
            try await Self.setValue(on: executor, "next_nonce", String(nonce + 1), onlyIfGreater: true)
        }
    }

    /// A new signing with the same nonce (a fresh era, a new runtime version).
    func resign(_ id: String, signed: SignedTransaction) async throws(SQLError) {
        try await database.query(
            """
            UPDATE relay_submissions SET state = 'signed', extrinsic = $2, tx_hash = $3, era_death = $4, spec_version = $5,
              transaction_version = $6, signings = signings + 1, block_hash = NULL, block_number = NULL, updated_at = $7 WHERE id = $1
            """, [.text(id), .blob(signed.bytes), .text(signed.hash), .integer(Int64(signed.eraDeath)), .integer(Int64(signed.specVersion)),
                  .integer(Int64(signed.transactionVersion)), .integer(Self.now())])
    }

    /// The first time a pool accepted the submission (kept across resends).
    func accepted(_ id: String, bestBlock: UInt32) async throws(SQLError) {
        try await database.query(
            """
            UPDATE relay_submissions SET state = 'submitted', submitted_at = COALESCE(submitted_at, $2), submitted_block = COALESCE(submitted_block, $3),
              updated_at = $2 WHERE id = $1 AND state IN ('signed', 'submitted', 'in_block')
            """, [.text(id), .integer(Self.now()), .integer(Int64(bestBlock))])
    }

    /// A hint from a status stream (or the pool's acceptance): only moves non-final rows.
    func hint(_ id: String, state: SubmissionState, blockHash: String? = nil, error: String? = nil) async throws(SQLError) {
        try await database.query(
            "UPDATE relay_submissions SET state = $2, block_hash = $3, error = $4, updated_at = $5 WHERE id = $1 AND state IN ('signed', 'submitted', 'in_block')",
            [.text(id), .text(state.rawValue), SQLValue(blockHash), SQLValue(error), .integer(Self.now())])
    }

    /// The nonce went to something else on the finalized chain (or was never usable): sign again
    /// from scratch with a new one.
    func requeue(_ id: String, reason: String) async throws(SQLError) {
        try await database.query(
            """
            UPDATE relay_submissions SET state = 'queued', nonce = NULL, extrinsic = NULL, tx_hash = NULL, era_death = NULL, block_hash = NULL,
              note = $2, updated_at = $3 WHERE id = $1 AND state IN ('signed', 'submitted', 'in_block')
            """, [.text(id), .text(reason), .integer(Self.now())])
    }

    /// Refused for good before inclusion: final, and its nonce is free again (the pipeline fills it).
    func failUnincluded(_ id: String, error: String) async throws(SQLError) {
        try await database.query(
            """
            UPDATE relay_submissions SET state = 'failed', nonce = NULL, error = $2, updated_at = $3, finalized_at = $3
            WHERE id = $1 AND state IN ('queued', 'signed', 'submitted', 'in_block')
            """, [.text(id), .text(error), .integer(Self.now())])
    }

    /// What one finalized block did to the relay's submissions, and the checkpoint after it, in
    /// one transaction: a crash re-reads the block, never skips it.
    func applyFinalized(_ outcomes: [FinalizedOutcome], payments: [IncomingPayment] = [], checkpoint: Checkpoint) async throws {
        let now = Self.now()
        try await database.transaction { executor in
            for payment in payments {
                try await executor.query(
                    """
                    INSERT INTO relay_payments (block_number, event_index, block_hash, asset, payer, amount, extrinsic_index, recorded_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (block_number, event_index) DO NOTHING
                    """, [.integer(Int64(checkpoint.number)), .integer(Int64(payment.eventIndex)), .text(checkpoint.hash), .text(payment.asset),
                          .text(payment.payer), .text(String(payment.amount)), payment.extrinsicIndex.map { .integer(Int64($0)) } ?? .null,
                          .integer(now)])
            }
            for outcome in outcomes {
                try await executor.query(
                    """
                    UPDATE relay_submissions SET state = $2, block_hash = $3, block_number = $4, extrinsic_index = $5, error = $6, note = $7,
                      tx_hash = $8, updated_at = $9, finalized_at = $9 WHERE id = $1
                    """, [.text(outcome.id), .text(outcome.succeeded ? "finalized" : "failed"), .text(checkpoint.hash),
                          .integer(Int64(checkpoint.number)), .integer(Int64(outcome.extrinsicIndex)), SQLValue(outcome.error),
                          SQLValue(outcome.note), .text(outcome.txHash), .integer(now)])
            }
            try await Self.setValue(on: executor, "checkpoint", "\(checkpoint.number):\(checkpoint.hash)")
        }
    }

    /// Payments oldest first after the cursor `(block, event)`, optionally of one payer (SS58).
    func payments(payer: String?, after: (block: UInt32, event: UInt32)?, limit: Int) async throws(SQLError) -> [PaymentRecord] {
        var conditions: [String] = []
        var binds: [SQLValue] = []
        if let payer { binds.append(.text(payer)); conditions.append("payer = $\(binds.count)") }
        if let after {
            binds.append(.integer(Int64(after.block)))
            binds.append(.integer(Int64(after.event)))
            conditions.append("(block_number > $\(binds.count - 1) OR (block_number = $\(binds.count - 1) AND event_index > $\(binds.count)))")
        }
        binds.append(.integer(Int64(limit)))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await database.read("SELECT * FROM relay_payments \(filter) ORDER BY block_number, event_index LIMIT $\(binds.count)", binds)
            .compactMap { row in
                guard let block = try? row.int("block_number"), let event = try? row.int("event_index"), let number = UInt32(exactly: block),
                      let asset = try? row.text("asset"), let payer = try? row.text("payer"), let amount = try? row.text("amount"),
                      let hash = try? row.text("block_hash"), let recorded = try? row.int("recorded_at") else { return nil }
                return PaymentRecord(id: "\(block):\(event)", asset: asset, payer: payer, amount: amount, blockNumber: number, blockHash: hash,
                                     extrinsicIndex: (try? row.optionalInt("extrinsic_index")).flatMap { $0.flatMap { UInt32(exactly: $0) } },
                                     recordedAt: Double(recorded) / 1000)
            }
    }

    /// Everything one payer has paid, per asset (amounts are u128: summed here, not in SQL).
    func paymentTotals(payer: String) async throws(SQLError) -> [String: String] {
        var totals: [String: UInt128] = [:]
        for row in try await database.read("SELECT asset, amount FROM relay_payments WHERE payer = $1", [.text(payer)]) {
            guard let asset = try? row.text("asset"), let amount = (try? row.text("amount")).flatMap({ UInt128($0) }) else { continue }
            let (sum, overflow) = totals[asset, default: 0].addingReportingOverflow(amount)
            totals[asset] = overflow ? .max : sum
        }
        return totals.mapValues { String($0) }
    }

    // MARK: relay state

    func value(_ key: String) async throws(SQLError) -> String? {
        guard let row = try await database.read("SELECT value FROM relay_state WHERE key = $1", [.text(key)]).first else { return nil }
        return try row.text("value")
    }

    func setValue(_ key: String, _ value: String) async throws {
        try await Self.setValue(on: database, key, value)
    }

    var nextNonce: UInt32? {
        get async throws(SQLError) { try await value("next_nonce").flatMap { UInt32($0) } }
    }

    var checkpoint: Checkpoint? {
        get async throws(SQLError) {
            guard let text = try await value("checkpoint"), let colon = text.firstIndex(of: ":"),
                  let number = UInt32(text[..<colon]) else { return nil }
            return Checkpoint(number: number, hash: String(text[text.index(after: colon)...]))
        }
    }

    /// Raises the next nonce to at least `nonce` (the chain's, after reconciliation).
    func raiseNextNonce(to nonce: UInt32) async throws {
        try await Self.setValue(on: database, "next_nonce", String(nonce), onlyIfGreater: true)
    }

    private static func setValue(on executor: any SQLExecutor, _ key: String, _ value: String, onlyIfGreater: Bool = false) async throws {
        if onlyIfGreater {
            // Compared as numbers: only the nonce uses this, and it only ever grows.
            let current = try await executor.query("SELECT value FROM relay_state WHERE key = $1", [.text(key)]).first.flatMap { try? $0.text("value") }
            if let current, let old = UInt64(current), let new = UInt64(value), old >= new { return }
        }
        try await executor.query("INSERT INTO relay_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                 [.text(key), .text(value)])
    }

    // MARK: rows

    static func json(_ call: ChainCall) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(call)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func record(_ row: SQLRow) -> SubmissionRecord? {
        guard let id = try? row.text("id"), let key = try? row.text("idempotency_key"), let caller = try? row.text("caller"),
              let callJSON = try? row.text("call_json"), let call = try? JSONDecoder().decode(ChainCall.self, from: Data(callJSON.utf8)),
              let state = (try? row.text("state")).flatMap(SubmissionState.init(rawValue:)),
              let created = try? row.int("created_at"), let updated = try? row.int("updated_at") else { return nil }
        return SubmissionRecord(
            id: id, idempotencyKey: key, caller: caller, call: call, state: state,
            nonce: (try? row.optionalInt("nonce")).flatMap { $0.flatMap { UInt32(exactly: $0) } },
            txHash: row.optionalText("tx_hash"), signings: Int((try? row.int("signings")) ?? 0),
            blockHash: row.optionalText("block_hash"),
            blockNumber: (try? row.optionalInt("block_number")).flatMap { $0.flatMap { UInt32(exactly: $0) } },
            extrinsicIndex: (try? row.optionalInt("extrinsic_index")).flatMap { $0.flatMap { UInt32(exactly: $0) } },
            error: row.optionalText("error"), note: row.optionalText("note"),
            submittedAt: (try? row.optionalInt("submitted_at")).flatMap { $0.map { Double($0) / 1000 } },
            submittedBlock: (try? row.optionalInt("submitted_block")).flatMap { $0.flatMap { UInt32(exactly: $0) } },
            createdAt: Double(created) / 1000, updatedAt: Double(updated) / 1000,
            finalizedAt: (try? row.optionalInt("finalized_at")).flatMap { $0.map { Double($0) / 1000 } })
    }

    static func entry(_ row: SQLRow) -> OutboxEntry? {
        guard let id = try? row.text("id"), let call = try? row.blob("call_bytes"), let name = try? row.text("call_name"),
              let state = (try? row.text("state")).flatMap(SubmissionState.init(rawValue:)) else { return nil }
        func number(_ column: String) -> UInt32? { (try? row.optionalInt(column)).flatMap { $0.flatMap { UInt32(exactly: $0) } } }
        let extrinsic: [UInt8]? = if case .blob(let bytes) = row["extrinsic"] { bytes } else { nil }
        return OutboxEntry(id: id, callBytes: call, callName: name, state: state, nonce: number("nonce"), extrinsic: extrinsic,
                           txHash: row.optionalText("tx_hash"), eraDeath: number("era_death"), specVersion: number("spec_version"),
                           transactionVersion: number("transaction_version"), signings: Int((try? row.int("signings")) ?? 0))
    }
}

extension OutboxEntry {
    /// The row as `OutboxStore.sign` / `resign` leave it.
    func signed(_ signing: SignedTransaction, nonce: UInt32) -> OutboxEntry {
        OutboxEntry(id: id, callBytes: callBytes, callName: callName, state: .signed, nonce: nonce, extrinsic: signing.bytes,
                    txHash: signing.hash, eraDeath: signing.eraDeath, specVersion: signing.specVersion,
                    transactionVersion: signing.transactionVersion, signings: signings + 1)
    }
}

/// A signing of a submission: the extrinsic, its hash, and what it was signed for.
struct SignedTransaction: Sendable {
    let bytes: [UInt8]
    /// `0x…` BLAKE2-256 of the bytes.
    let hash: String
    let eraDeath: UInt32
    let specVersion: UInt32
    let transactionVersion: UInt32
}

/// The last finalized block the relay has read.
struct Checkpoint: Sendable, Equatable {
    let number: UInt32
    /// `0x…`.
    let hash: String
}

/// A payment to the relay's account in a finalized block's events.
struct IncomingPayment: Sendable, Equatable {
    let eventIndex: UInt32
    let asset: String
    /// SS58 (prefix 1981).
    let payer: String
    let amount: UInt128
    let extrinsicIndex: UInt32?
}

/// What a finalized block says about one submission.
struct FinalizedOutcome: Sendable {
    let id: String
    let extrinsicIndex: UInt32
    let txHash: String
    let succeeded: Bool
    let error: String?
    let note: String?
}
