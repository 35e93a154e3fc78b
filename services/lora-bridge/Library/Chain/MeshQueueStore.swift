import Foundation
import PakitContracts
import PakitSQL

/// The Mesh-pallet calls this bridge holds until the chain relay (or, off-grid, a gateway node)
/// has taken them: a row is written before the call is acknowledged, so a crash loses nothing.
struct MeshQueueStore: Sendable {
    let database: any SQLDatabase

    struct Entry: Sendable, Equatable {
        var key: String
        var call: ChainCall
        var route: MeshRoute
        var state: LoRaChainQueueEntry.State
        var attempts: Int
        var lastError: String?
        var submissionID: String?
        var createdAt: Int64
        var updatedAt: Int64

        var record: LoRaChainQueueEntry {
            LoRaChainQueueEntry(key: key, call: call.name, route: route.description, state: state, attempts: attempts, lastError: lastError,
                                submissionID: submissionID, createdAt: Int(createdAt), updatedAt: Int(updatedAt))
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Adds an entry; false when one with the key was already there (the same transaction heard twice).
    func insert(_ entry: Entry) async throws -> Bool {
        let call = String(decoding: try JSONEncoder().encode(entry.call), as: UTF8.self)
        let rows = try await database.query(
            """
            INSERT INTO lora_chain_queue (key, call, call_name, route, state, attempts, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, 0, $6, $6) ON CONFLICT (key) DO NOTHING RETURNING key
            """, [.text(entry.key), .text(call), .text(entry.call.name), .text(entry.route.description), .text(entry.state.rawValue),
                  .integer(entry.createdAt)])
        return !rows.isEmpty
    }

    func update(_ entry: Entry) async throws(SQLError) {
        try await database.query(
            "UPDATE lora_chain_queue SET state = $2, attempts = $3, last_error = $4, submission_id = $5, updated_at = $6 WHERE key = $1",
            [.text(entry.key), .text(entry.state.rawValue), .integer(Int64(entry.attempts)), entry.lastError.map { .text($0) } ?? .null,
             entry.submissionID.map { .text($0) } ?? .null, .integer(entry.updatedAt)])
    }

    func pending() async throws -> [Entry] {
        try await entries("SELECT * FROM lora_chain_queue WHERE state = 'queued' ORDER BY created_at, key LIMIT 500", [])
    }

    func latest(limit: Int = 200) async throws -> [Entry] {
        try await entries("SELECT * FROM lora_chain_queue ORDER BY created_at DESC, key DESC LIMIT $1", [.integer(Int64(limit))])
    }

    func pendingCount() async throws -> Int {
        Int(try await database.read("SELECT COUNT(*) AS n FROM lora_chain_queue WHERE state = 'queued'", []).first?.int("n") ?? 0)
    }

    /// Whether a registration of this node is queued or was handed on (heartbeats follow it).
    func registered() async throws -> Bool {
        !(try await database.read(
            "SELECT key FROM lora_chain_queue WHERE call_name = 'Mesh.register_node' AND state <> 'refused' LIMIT 1", [])).isEmpty
    }

    func heartbeatQueued() async throws -> Bool {
        !(try await database.read(
            "SELECT key FROM lora_chain_queue WHERE call_name = 'Mesh.node_heartbeat' AND state = 'queued' LIMIT 1", [])).isEmpty
    }

    private func entries(_ sql: String, _ binds: [SQLValue]) async throws -> [Entry] {
        try await database.read(sql, binds).compactMap { row in
            guard let call = try? JSONDecoder().decode(ChainCall.self, from: Data(try row.text("call").utf8)),
                  let route = MeshRoute(try row.text("route")),
                  let state = LoRaChainQueueEntry.State(rawValue: try row.text("state")) else { return nil }
            return Entry(key: try row.text("key"), call: call, route: route, state: state, attempts: Int(try row.int("attempts")),
                         lastError: row.optionalText("last_error"), submissionID: row.optionalText("submission_id"),
                         createdAt: try row.int("created_at"), updatedAt: try row.int("updated_at"))
        }
    }
}

/// Where a queued call goes: this node's chain relay, or a gateway node over LoRa.
enum MeshRoute: Sendable, Equatable, CustomStringConvertible {
    case chainRelay
    case gateway(UInt32)

    init?(_ text: String) {
        if text == "chain-relay" {
            self = .chainRelay
        } else if let number = LoRaNodeText.parse(text) {
            self = .gateway(number)
        } else {
            return nil
        }
    }

    var description: String {
        switch self {
        case .chainRelay: "chain-relay"
        case .gateway(let node): LoRaNodeText.id(node)
        }
    }
}
