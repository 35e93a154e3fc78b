/// The LoRa bridge's v1 API (`pakit-lora-bridge`, docs/lora-bridge.md): the radio it drives,
/// the peers it hears, and small-file transfers over the LoRa mesh.
/// Node numbers are the Meshtastic ones (also as `!%08x` ids); times are Unix seconds.

/// `GET /v1/radio`.
public struct RadioStatus: Codable, Sendable, Equatable {
    /// `tcp:HOST:PORT` or the serial device path.
    public var endpoint: String
    public var connected: Bool
    public var node: LoRaNodeID?
    public var firmwareVersion: String?
    /// Meshtastic names: `LONG_FAST`, `EU_868`.
    public var preset: String?
    public var region: String?
    public var hopLimit: Int?
    /// Airtime of this bridge's own transmissions in the last hour, and the region's allowance.
    public var airtimeLastHourMs: Double
    public var dutyCyclePercent: Double
    public var dutyCycleHeadroomMs: Double
    /// Fraction of expected fragments that did not arrive (exponentially weighted).
    public var linkLossEstimate: Double
    /// The device's TX queue: free slots and length.
    public var queueFree: Int
    public var queueLength: Int
    public var activeTransfers: Int
    /// Device time runs this many times faster than the wall clock (1 but for a fast simulator).
    public var timeScale: Double
    /// This node's announced index: pinned roots in it, and the sequence of its latest update.
    public var indexEntries: Int
    public var indexSequence: Int
    /// Others' use of the channel over the last minute, in percent: what the radio decoded from
    /// other senders (bulk traffic waits at 25 %).
    public var channelUtilizationPercent: Double
    /// From the device's DeviceMetrics (nil until its first report): its channel utilisation over
    /// the last minute (its own sends and every relay included), and its own transmit share of
    /// the last hour (relays and ACKs included).
    public var deviceChannelUtilizationPercent: Double?
    public var deviceAirUtilTxPercent: Double?

    public init(endpoint: String, connected: Bool, node: LoRaNodeID?, firmwareVersion: String?, preset: String?, region: String?,
                hopLimit: Int?, airtimeLastHourMs: Double, dutyCyclePercent: Double, dutyCycleHeadroomMs: Double,
                linkLossEstimate: Double, queueFree: Int, queueLength: Int, activeTransfers: Int, timeScale: Double,
                indexEntries: Int, indexSequence: Int, channelUtilizationPercent: Double, deviceChannelUtilizationPercent: Double?,
                deviceAirUtilTxPercent: Double?) {
        self.endpoint = endpoint
        self.connected = connected
        self.node = node
        self.firmwareVersion = firmwareVersion
        self.preset = preset
        self.region = region
        self.hopLimit = hopLimit
        self.airtimeLastHourMs = airtimeLastHourMs
        self.dutyCyclePercent = dutyCyclePercent
        self.dutyCycleHeadroomMs = dutyCycleHeadroomMs
        self.linkLossEstimate = linkLossEstimate
        self.queueFree = queueFree
        self.queueLength = queueLength
        self.activeTransfers = activeTransfers
        self.timeScale = timeScale
        self.indexEntries = indexEntries
        self.indexSequence = indexSequence
        self.channelUtilizationPercent = channelUtilizationPercent
        self.deviceChannelUtilizationPercent = deviceChannelUtilizationPercent
        self.deviceAirUtilTxPercent = deviceAirUtilTxPercent
    }
}

/// A Meshtastic node number with its `!%08x` id.
public struct LoRaNodeID: Codable, Sendable, Equatable, Hashable {
    public var number: UInt32
    public var id: String
    public init(number: UInt32) {
        self.number = number
        let hex = String(number, radix: 16)
        id = "!" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }
}

/// `GET /v1/lora/peers`: the nodes the device knows.
public struct LoRaPeer: Codable, Sendable, Equatable {
    public var node: LoRaNodeID
    public var longName: String
    public var shortName: String
    /// Its public key is known, so unicast (PKI) to it works.
    public var hasPublicKey: Bool
    public var hopsAway: Int?
    public var snr: Double?
    public var lastHeard: UInt32?
    /// Entries in the index it announces (nil: none heard yet), and whether the copy here is known
    /// to match its latest announcement (false: a resync was asked for).
    public var indexEntries: Int?
    public var indexInStep: Bool?

    public init(node: LoRaNodeID, longName: String, shortName: String, hasPublicKey: Bool, hopsAway: Int?, snr: Double?, lastHeard: UInt32?,
                indexEntries: Int? = nil, indexInStep: Bool? = nil) {
        self.node = node
        self.longName = longName
        self.shortName = shortName
        self.hasPublicKey = hasPublicKey
        self.hopsAway = hopsAway
        self.snr = snr
        self.lastHeard = lastHeard
        self.indexEntries = indexEntries
        self.indexInStep = indexInStep
    }
}

public struct LoRaPeerList: Codable, Sendable, Equatable {
    public var peers: [LoRaPeer]
    public init(peers: [LoRaPeer]) { self.peers = peers }
}

/// `POST /v1/lora/fetch`: fetch a block by CID over LoRa (from `peer`, a node number or
/// `!%08x` id; without one, from the nearest peer that announces it), verify it against the
/// CID and store it through this node's storage.
public struct LoRaFetchRequest: Codable, Sendable, Equatable {
    public var cid: String
    public var peer: String?
    public init(cid: String, peer: String? = nil) {
        self.cid = cid
        self.peer = peer
    }
}

/// One transfer over LoRa (`POST /v1/lora/fetch` answers 202 with it; `GET /v1/lora/transfers/{id}`).
public struct LoRaTransfer: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Requested, waiting for fragments.
        case requesting
        /// Verified against its CID and stored.
        case stored
        case failed
    }

    public var id: String
    public var cid: String
    public var peer: LoRaNodeID
    public var state: State
    /// The block's size once the first fragment told it.
    public var size: Int?
    public var fragmentsReceived: Int
    public var fragmentsTotal: Int?
    /// Requests sent (the first and each selective repeat).
    public var requests: Int
    /// Fragments rebuilt from parity instead of being sent again.
    public var recoveredFromParity: Int
    /// Device-time milliseconds from the first request to the stored block (or failure).
    public var elapsedMs: Double?
    public var error: String?

    public init(id: String, cid: String, peer: LoRaNodeID, state: State, size: Int?, fragmentsReceived: Int, fragmentsTotal: Int?,
                requests: Int, recoveredFromParity: Int, elapsedMs: Double?, error: String?) {
        self.id = id
        self.cid = cid
        self.peer = peer
        self.state = state
        self.size = size
        self.fragmentsReceived = fragmentsReceived
        self.fragmentsTotal = fragmentsTotal
        self.requests = requests
        self.recoveredFromParity = recoveredFromParity
        self.elapsedMs = elapsedMs
        self.error = error
    }
}

/// `POST /v1/lora/broadcast`: an emergency message to every node on the LoRa mesh, signed with
/// this node's Ed25519 key.
public struct LoRaBroadcastRequest: Codable, Sendable, Equatable {
    /// UTF-8 text, at most 124 bytes.
    public var message: String
    /// 0 advisory, 1 watch, 2 warning (default), 3 emergency, 4 catastrophic (the Mesh pallet's AlertSeverity).
    public var severity: Int?
    public init(message: String, severity: Int? = nil) {
        self.message = message
        self.severity = severity
    }
}

/// An emergency alert this node issued or heard (`GET /v1/lora/alerts`, newest first).
public struct LoRaAlert: Codable, Sendable, Equatable {
    /// The issuer's key prefix and the alert's own id, in hex: the same on every node.
    public var id: String
    public var message: String
    public var severity: Int
    /// Hex Ed25519 public key of the issuer; the signature was checked against it.
    public var publicKey: String
    /// The issuer's key is this node's own or one the operator trusts (`--alert-keys`).
    public var trusted: Bool
    /// Issued here.
    public var own: Bool
    /// The radio node it was heard from (the issuer's, for alerts heard first-hand or relayed).
    public var heardFrom: LoRaNodeID
    /// Unix seconds: when the issuer signed it, and when this node received (or issued) it.
    public var issuedAt: Int
    public var receivedAt: Int
    /// Own alerts: times it went out, and whether a neighbour was heard relaying it.
    public var transmissions: Int
    public var relayHeard: Bool

    public init(id: String, message: String, severity: Int, publicKey: String, trusted: Bool, own: Bool, heardFrom: LoRaNodeID,
                issuedAt: Int, receivedAt: Int, transmissions: Int, relayHeard: Bool) {
        self.id = id
        self.message = message
        self.severity = severity
        self.publicKey = publicKey
        self.trusted = trusted
        self.own = own
        self.heardFrom = heardFrom
        self.issuedAt = issuedAt
        self.receivedAt = receivedAt
        self.transmissions = transmissions
        self.relayHeard = relayHeard
    }
}

public struct LoRaAlertList: Codable, Sendable, Equatable {
    public var alerts: [LoRaAlert]
    public init(alerts: [LoRaAlert]) { self.alerts = alerts }
}

/// `POST /v1/lora/mesh/register`: queue `Mesh.register_node` for this node's radio (its node
/// number as the 4-byte node id, its region from the device). Enum fields take the Mesh pallet's
/// variant indices (docs/lora-bridge.md, "Mesh pallet").
public struct LoRaMeshRegistration: Codable, Sendable, Equatable {
    /// MeshNodeRole: 0 client … 3 gateway (default) … 5 emergency beacon.
    public var role: UInt8?
    /// MeshHardware: 0 Heltec V3 … 7 unknown (default).
    public var hardware: UInt8?
    /// Degrees × 10⁶.
    public var latitude: Int32
    public var longitude: Int32
    /// Metres (default 0).
    public var altitude: Int16?
    /// BelizeDistrict: 0 Belize, 1 Cayo, 2 Orange Walk, 3 Corozal, 4 Stann Creek, 5 Toledo.
    public var district: UInt8
    /// TerrainType: 0 coastal … 3 rural flat (default) … 7 river valley.
    public var terrain: UInt8?

    public init(role: UInt8? = nil, hardware: UInt8? = nil, latitude: Int32, longitude: Int32, altitude: Int16? = nil, district: UInt8, terrain: UInt8? = nil) {
        self.role = role
        self.hardware = hardware
        self.latitude = latitude
        self.longitude = longitude
        self.altitude = altitude
        self.district = district
        self.terrain = terrain
    }
}

/// `POST /v1/lora/mesh/transactions`: a Mesh-pallet transaction made off-grid. With `gateway`
/// (a node number or `!%08x` id) it goes over LoRa to that node, which queues it for its chain
/// relay; without, this node queues it for its own relay. Byte strings are hex.
public struct LoRaMeshTransactionRequest: Codable, Sendable, Equatable {
    /// 32 bytes: the transaction's own hash, the pallet's deduplication key.
    public var txHash: String
    /// MeshTxType: 0 DALLA transfer, 1 bBZD transfer, 2 governance vote, 3 identity ping, 4 node status.
    public var txType: UInt8
    /// 4 bytes each: compact sender and recipient ids.
    public var sender: String
    public var recipient: String
    public var amount: UInt64
    public var nonce: UInt32
    /// 32 bytes, not all zero.
    public var signatureHash: String
    public var gateway: String?

    public init(txHash: String, txType: UInt8, sender: String, recipient: String, amount: UInt64, nonce: UInt32, signatureHash: String, gateway: String? = nil) {
        self.txHash = txHash
        self.txType = txType
        self.sender = sender
        self.recipient = recipient
        self.amount = amount
        self.nonce = nonce
        self.signatureHash = signatureHash
        self.gateway = gateway
    }
}

/// One Mesh-pallet call this bridge holds until it is handed on (`GET /v1/lora/chain-queue`).
public struct LoRaChainQueueEntry: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Durable here, not yet handed on.
        case queued
        /// The chain relay took it (its submission id is `submissionID`).
        case handed
        /// The gateway node confirmed over LoRa that it queued it.
        case forwarded
        /// Refused for good (the relay rejected the call); `lastError` says why.
        case refused
    }

    /// The chain relay's idempotency key: handing it on twice submits it once.
    public var key: String
    /// `Mesh.register_node`, `Mesh.node_heartbeat` or `Mesh.submit_mesh_transaction`.
    public var call: String
    /// `chain-relay`, or the gateway node it goes to over LoRa.
    public var route: String
    public var state: State
    public var attempts: Int
    public var lastError: String?
    public var submissionID: String?
    /// Unix seconds.
    public var createdAt: Int
    public var updatedAt: Int

    public init(key: String, call: String, route: String, state: State, attempts: Int, lastError: String?, submissionID: String?, createdAt: Int, updatedAt: Int) {
        self.key = key
        self.call = call
        self.route = route
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.submissionID = submissionID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct LoRaChainQueue: Codable, Sendable, Equatable {
    /// Newest first, at most 200.
    public var entries: [LoRaChainQueueEntry]
    /// Entries not yet handed on.
    public var pending: Int
    /// The chain relay this bridge hands calls to (nil: none known, so it is not a gateway).
    public var chainRelay: String?

    public init(entries: [LoRaChainQueueEntry], pending: Int, chainRelay: String?) {
        self.entries = entries
        self.pending = pending
        self.chainRelay = chainRelay
    }
}
