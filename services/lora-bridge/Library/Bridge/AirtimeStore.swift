import PakitMeshtastic
import PakitSQL

/// The duty-cycle ledger's minutes, kept so a restarted bridge still knows what it spent in the
/// last hour (device time) and does not overspend into a DUTY_CYCLE_LIMIT refusal.
struct AirtimeStore: Sendable {
    let database: any SQLDatabase

    func record(transmitMs: Double, atDeviceMs nowMs: Double) async throws(SQLError) {
        let minute = Int64((nowMs / AirtimeLedger.minuteMs).rounded(.down))
        try await database.query(
            """
            INSERT INTO lora_airtime (minute, airtime_ms) VALUES ($1, $2)
            ON CONFLICT (minute) DO UPDATE SET airtime_ms = lora_airtime.airtime_ms + excluded.airtime_ms
            """, [.integer(minute), .real(transmitMs)])
        // Minutes older than two hours no longer count anywhere.
        if minute % 30 == 0 { try await database.query("DELETE FROM lora_airtime WHERE minute < $1", [.integer(minute - 120)]) }
    }

    /// The last hour's minutes, oldest first, as a ledger.
    func ledger(atDeviceMs nowMs: Double) async throws -> AirtimeLedger {
        let minute = Int64((nowMs / AirtimeLedger.minuteMs).rounded(.down))
        var ledger = AirtimeLedger()
        for row in try await database.read("SELECT minute, airtime_ms FROM lora_airtime WHERE minute > $1 ORDER BY minute", [.integer(minute - 60)]) {
            let start = Double(try row.int("minute")) * AirtimeLedger.minuteMs
            ledger.record(transmitMs: try row.double("airtime_ms"), at: start)
        }
        return ledger
    }
}
