import Crypto
import Foundation
import PakitMeshtastic

/// One simulated Meshtastic device: its identity and the firmware state the simulator keeps for
/// it. Only `RadioMedium` (an actor) touches it.
struct SimulatedDevice {
    struct KnownNode {
        var user: MeshtasticUser
        var lastHeardMs: Double
        var snr: Double
        var hopsAway: UInt32
    }

    struct QueuedPacket {
        var packet: AirPacket
        /// Earliest simulated time it may go on air (rebroadcast delay, retransmission).
        var notBefore: Double
        var isRebroadcast: Bool
        var sequence: Int
    }

    struct ReliableSend {
        var packet: AirPacket
        var transmissions: Int
    }

    struct ClientSession {
        var id: Int
        var output: AsyncStream<[UInt8]>.Continuation
        var configured: Bool
        var lastDataMs: Double
    }


    let index: Int
    let number: UInt32
    let publicKey: Data
    let user: MeshtasticUser
    var role: MeshtasticDeviceRole = .client
    var nodeDB: [UInt32: KnownNode] = [:]
    var transmitQueue: [QueuedPacket] = []
    var transmittingUntil: Double?
    var attemptScheduledAt: Double?
    var recentClientIDs: [UInt32] = []
    var history: [PacketKey: Double] = [:]
    var historyOrder: [PacketKey] = []
    var reliable: [UInt32: ReliableSend] = [:]
    var ledger = AirtimeLedger()
    var channel = ChannelActivity()
    /// Own transmissions still relevant to half-duplex checks: (start, end).
    var transmissions: [(start: Double, end: Double)] = []
    var session: ClientSession?
    var fromRadioCounter: UInt32 = 0
    var packetCounter: UInt32 = 0
    var counters = DeviceCounters()

    init(index: Int, number: UInt32) {
        self.index = index
        self.number = number
        publicKey = Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation
        var user = MeshtasticUser()
        user.id = String(format: "!%08x", number)
        user.longName = "Pakit sim \(index)"
        user.shortName = String(format: "S%03d", index % 1000)
        user.hwModel = .portduino
        user.publicKey = publicKey
        self.user = user
    }

    /// Records (from, id) in the packet history; false if it was already there.
    mutating func remember(_ key: PacketKey, at now: Double) -> Bool {
        guard history[key] == nil else { return false }
        history[key] = now
        historyOrder.append(key)
        if historyOrder.count > MeshConstants.packetHistory {
            history[historyOrder.removeFirst()] = nil
        }
        return true
    }

    /// A fresh packet id as the firmware makes them: a 10-bit counter and 22 random bits.
    mutating func nextPacketID(using random: inout some RandomNumberGenerator) -> UInt32 {
        packetCounter = (packetCounter + 1) & 0x3FF
        let id = (UInt32.random(in: 0...0x3F_FFFF, using: &random) << 10) | packetCounter
        return id == 0 ? 1 : id
    }

    var freeQueueSlots: Int { max(MeshConstants.transmitQueueLength - transmitQueue.count, 0) }
}

/// What one simulated device did, for `pakit-lora-sim` reports and the benchmark.
public struct DeviceCounters: Sendable, Codable, Equatable {
    public var transmitted = 0
    public var received = 0
    public var rebroadcast = 0
    public var lostToCollision = 0
    public var lostToLoss = 0
    public var lostWhileTransmitting = 0
    public var clientPackets = 0
    public var refusedDutyCycle = 0
    public var refusedTooLarge = 0
    public var refusedPublicKey = 0
    public var refusedQueueFull = 0
    public var droppedRepeatedID = 0
    public var maxRetransmit = 0
    public var deliveredToClient = 0
}
