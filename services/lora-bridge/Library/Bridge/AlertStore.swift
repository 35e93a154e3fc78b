import PakitSQL

/// Emergency alerts this node issued or heard, kept so they are still shown after a restart and
/// an own alert's repeats resume.
struct AlertStore: Sendable {
    let database: any SQLDatabase

    /// Alerts are kept 30 days: long past any emergency, and a stranger's stream of validly
    /// signed alerts cannot grow the table without bound.
    static let retentionSeconds: Int64 = 30 * 86_400

    func insert(_ stored: LoRaBridge.StoredAlert) async throws(SQLError) {
        try await database.query("DELETE FROM lora_alerts WHERE received_at < $1", [.integer(stored.receivedAt - Self.retentionSeconds)])
        let alert = stored.alert
        try await database.query(
            """
            INSERT INTO lora_alerts (public_key, id, issued_at, severity, message, signature, origin, received_at, relays_heard, transmissions)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (public_key, id) DO NOTHING
            """, [.blob(alert.publicKey), .integer(Int64(alert.id)), .integer(Int64(alert.issuedAt)), .integer(Int64(alert.severity)),
                  .blob(alert.message), .blob(alert.signature), .integer(Int64(stored.heardFrom)), .integer(stored.receivedAt),
                  .integer(stored.relayHeard ? 1 : 0), .integer(Int64(stored.transmissions))])
    }

    func saveDelivery(_ stored: LoRaBridge.StoredAlert) async throws(SQLError) {
        try await database.query(
            "UPDATE lora_alerts SET relays_heard = $3, transmissions = $4 WHERE public_key = $1 AND id = $2",
            [.blob(stored.alert.publicKey), .integer(Int64(stored.alert.id)), .integer(stored.relayHeard ? 1 : 0), .integer(Int64(stored.transmissions))])
    }

    /// The most recent alerts (the API shows at most this many).
    func load(ownKey: [UInt8], limit: Int = 500) async throws -> [LoRaBridge.StoredAlert] {
        try await database.read("SELECT * FROM lora_alerts ORDER BY received_at DESC LIMIT $1", [.integer(Int64(limit))]).compactMap { row in
            let alert = LoRaMessage.Alert(
                id: UInt32(truncatingIfNeeded: try row.int("id")), issuedAt: UInt32(truncatingIfNeeded: try row.int("issued_at")),
                severity: UInt8(truncatingIfNeeded: try row.int("severity")), message: try row.blob("message"),
                publicKey: try row.blob("public_key"), signature: try row.blob("signature"))
            return LoRaBridge.StoredAlert(
                alert: alert, heardFrom: UInt32(truncatingIfNeeded: try row.int("origin")), receivedAt: try row.int("received_at"),
                own: alert.publicKey == ownKey, transmissions: Int(try row.int("transmissions")), relayHeard: try row.int("relays_heard") != 0)
        }
    }
}
