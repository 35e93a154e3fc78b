import Foundation
import PakitMeshtastic

/// A packet on the simulated air: the 16-byte on-air header's fields plus the decoded `Data`.
///
/// The simulator does not encrypt (nothing on a build machine could listen in), but it sizes
/// every packet exactly as the firmware puts it on air (header + encoded `Data`, + 12 bytes for
/// PKI), so time on air, TOO_LARGE and duty cycle are the firmware's.
struct AirPacket: Sendable {
    var from: UInt32
    var to: UInt32
    var id: UInt32
    var channel: UInt32
    var hopLimit: UInt32
    var hopStart: UInt32
    var wantAck: Bool
    var priority: MeshtasticMeshPacket.Priority
    var data: MeshtasticDataPayload
    var pki: Bool
    /// The sender's public key on PKI packets (the receiving firmware reports it).
    var senderPublicKey: Data
    /// Last byte of the node that put this copy on air.
    var relayNode: UInt32

    var key: PacketKey { PacketKey(from: from, id: id) }
    var isBroadcast: Bool { to == MeshtasticAddress.broadcast }

    /// Bytes on air: the header, the encoded `Data`, and the PKI overhead.
    var onAirBytes: Int {
        let encoded = (try? data.serializedBytes() as [UInt8])?.count ?? PayloadLimits.maximumLoRaPayload
        return PayloadLimits.onAirBytes(encodedDataLength: encoded, pki: pki)
    }
}

struct PacketKey: Hashable, Sendable {
    var from: UInt32
    var id: UInt32
}

enum MeshConstants {
    /// `MAX_TX_QUEUE`.
    static let transmitQueueLength = 16
    /// The firmware drops a client packet whose id is among the last 20 it was given.
    static let recentClientIDs = 20
    /// `PacketHistory` capacity used for (from, id) de-duplication.
    static let packetHistory = 100
    static let minimumAppVersion: UInt32 = 30200
    static let firmwareVersion = "2.7.26-sim"
    /// Firmware `ERRNO_UNKNOWN`, returned in QueueStatus.res when the TX queue is full.
    static let queueFullResult: Int32 = 32
    /// The firmware broadcasts its NodeInfo every three hours by default.
    static let nodeInfoIntervalMs: Double = 3 * 3_600_000
    /// The firmware reports its DeviceMetrics (channel utilisation, own TX share) to its client every minute.
    static let deviceTelemetryIntervalMs: Double = 60_000
    /// The firmware closes a client API connection after 15 minutes without data from the client.
    static let clientIdleTimeoutMs: Double = 15 * 60_000
    /// The client API's idle timeout.
    static let idleTimeoutMs: Double = 15 * 60_000

    /// Ports whose unicast packets the firmware never PKI-encrypts.
    static let portsWithoutPKI: Set<MeshtasticPortNum> = [.tracerouteApp, .nodeinfoApp, .routingApp, .positionApp]
}
