import Foundation
import PakitContracts
import PakitCore
import PakitSQL

/// The bridge's durable state: every transfer it was asked for and the fragments that arrived,
/// so a restart (kill -9 included) resumes a transfer where it stood, asking only for what is
/// missing. PostgreSQL or the SQLite file by default, through the runtime's SQL layer.
struct TransferStore: Sendable {
    let database: any SQLDatabase

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func insert(_ transfer: LoRaBridge.Transfer) async throws(SQLError) {
        try await database.query(
            """
            INSERT INTO lora_transfers (id, cid, peer, session, state, relays, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [.text(transfer.id), .text(transfer.cid.string), .integer(Int64(transfer.peer)), .integer(Int64(transfer.session)),
                  .text(transfer.state.rawValue), .integer(Int64(transfer.relays)), .integer(transfer.startedAt)])
    }

    /// A fragment and the transfer's shape (known from the first fragment), in one transaction.
    func saveFragment(_ transfer: LoRaBridge.Transfer, index: Int, bytes: [UInt8]) async throws {
        try await database.transaction { executor in
            try await executor.query(
                "INSERT INTO lora_fragments (transfer_id, idx, bytes) VALUES ($1, $2, $3) ON CONFLICT (transfer_id, idx) DO NOTHING",
                [.text(transfer.id), .integer(Int64(index)), .blob(bytes)])
            try await executor.query(
                "UPDATE lora_transfers SET block_size = $2, parity = $3, relays = $4 WHERE id = $1",
                [.text(transfer.id), transfer.blockSize.map { .integer(Int64($0)) } ?? .null, .integer(Int64(transfer.parity)),
                 .integer(Int64(transfer.relays))])
        }
    }

    func countRequest(_ id: String, requests: Int) async throws(SQLError) {
        try await database.query("UPDATE lora_transfers SET requests = $2 WHERE id = $1", [.text(id), .integer(Int64(requests))])
    }

    /// The final state; the fragments are no longer needed (a stored block is in storage).
    func finish(_ transfer: LoRaBridge.Transfer) async throws {
        try await database.transaction { executor in
            try await executor.query(
                "UPDATE lora_transfers SET state = $2, error = $3, finished_at = $4, recovered = $5, requests = $6 WHERE id = $1",
                [.text(transfer.id), .text(transfer.state.rawValue), transfer.error.map { .text($0) } ?? .null,
                 .integer(transfer.finishedAt ?? Self.nowMs()), .integer(Int64(transfer.recovered)), .integer(Int64(transfer.requests))])
            try await executor.query("DELETE FROM lora_fragments WHERE transfer_id = $1", [.text(transfer.id)])
        }
    }

    /// The most recent transfers, with the fragments of those still requesting.
    func load(limit: Int = 1000) async throws -> [LoRaBridge.Transfer] {
        var transfers: [LoRaBridge.Transfer] = []
        let rows = try await database.read("SELECT * FROM lora_transfers ORDER BY started_at DESC LIMIT $1", [.integer(Int64(limit))])
        for row in rows {
            guard let cid = try? CID(try row.text("cid")), let state = LoRaTransfer.State(rawValue: try row.text("state")) else { continue }
            var transfer = LoRaBridge.Transfer(
                id: try row.text("id"), cid: cid, peer: UInt32(truncatingIfNeeded: try row.int("peer")),
                session: UInt16(truncatingIfNeeded: try row.int("session")), startedAt: try row.int("started_at"),
                relays: Int(try row.int("relays"))
            )
            transfer.state = state
            transfer.finishedAt = try row.optionalInt("finished_at")
            transfer.blockSize = try row.optionalInt("block_size").map { Int($0) }
            transfer.parity = Int(try row.int("parity"))
            transfer.requests = Int(try row.int("requests"))
            transfer.recovered = Int(try row.int("recovered"))
            transfer.error = row.optionalText("error")
            if state == .requesting {
                for fragment in try await database.read("SELECT idx, bytes FROM lora_fragments WHERE transfer_id = $1", [.text(transfer.id)]) {
                    let index = Int(try fragment.int("idx"))
                    transfer.fragments[index] = try fragment.blob("bytes")
                    transfer.have.insert(index)
                }
            }
            transfers.append(transfer)
        }
        return transfers
    }
}
