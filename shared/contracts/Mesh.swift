/// One node of the mesh as the mesh-gateway's `GET /v1/peers` shows it.
public struct MeshPeer: Codable, Sendable, Equatable {
    /// `alive`, `suspect`, `dead` or `left`.
    public enum Status: String, Codable, Sendable, Equatable, CaseIterable {
        case alive, suspect, dead, left
    }

    /// libp2p peer ID of the node's Ed25519 key (`12D3KooW…`).
    public var peerID: String
    public var status: Status
    /// The incarnation the status is about.
    public var incarnation: UInt64
    /// UDP `host:port` of its gateway.
    public var meshAddress: String
    public var gatewayURL: String
    public var storageURL: String
    /// Hex SHA-256 of the certificates its gateway and storage serve (empty when unknown).
    public var gatewayCertificateSHA256: String
    public var storageCertificateSHA256: String
    /// When the node signed its current record (Unix milliseconds, its own clock).
    public var recordIssuedAt: UInt64
    /// Seconds since this gateway last saw the status change.
    public var secondsInStatus: Double
    /// Its gossipsub score here (0 for this node itself); below −10,000 it is not heard.
    public var score: Double
    /// Whether it is one of this node's announcement-mesh peers.
    public var inMesh: Bool

    public init(peerID: String, status: Status, incarnation: UInt64, meshAddress: String, gatewayURL: String, storageURL: String,
                gatewayCertificateSHA256: String, storageCertificateSHA256: String, recordIssuedAt: UInt64, secondsInStatus: Double,
                score: Double = 0, inMesh: Bool = false) {
        self.score = score
        self.inMesh = inMesh
        self.peerID = peerID
        self.status = status
        self.incarnation = incarnation
        self.meshAddress = meshAddress
        self.gatewayURL = gatewayURL
        self.storageURL = storageURL
        self.gatewayCertificateSHA256 = gatewayCertificateSHA256
        self.storageCertificateSHA256 = storageCertificateSHA256
        self.recordIssuedAt = recordIssuedAt
        self.secondsInStatus = secondsInStatus
    }
}

/// `GET /v1/peers`: this node and every member it knows.
public struct MeshPeersResponse: Codable, Sendable, Equatable {
    /// This node (status `alive`).
    public var node: MeshPeer
    public var peers: [MeshPeer]

    public init(node: MeshPeer, peers: [MeshPeer]) {
        self.node = node
        self.peers = peers
    }
}

/// The mesh-gateway's membership health, part of its `/ready` details and `/v1/mesh/health`.
public struct MeshHealth: Codable, Sendable, Equatable {
    public var alive: Int
    public var suspect: Int
    public var dead: Int
    public var left: Int
    /// Lifeguard's local health multiplier (0 = healthy; probes slow down as it grows).
    public var healthMultiplier: Int
    public var incarnation: UInt64
    /// Membership updates waiting to be piggybacked or gossiped.
    public var broadcastQueue: Int
    /// Packets dropped because they failed to decode or verify, or came too fast.
    public var rejectedPackets: Int
    /// Updates inside verified packets whose own signature failed.
    public var invalidUpdates: Int
    public var refutations: Int
    /// Source addresses whose datagrams are dropped unread for now (too many invalid packets).
    public var graylistedSources: Int
    /// Times a member was recorded dead here since start (a soak with no failures expects 0).
    public var deathsRecorded: Int
    /// Datagrams the kernel refused to send (a firewall rule, a missing route, a full buffer):
    /// lost, as UDP may lose any, but counted so that a blocked path shows.
    public var sendFailures: Int
    /// The announcement mesh.
    public var gossip: MeshGossipHealth

    public init(alive: Int, suspect: Int, dead: Int, left: Int, healthMultiplier: Int, incarnation: UInt64, broadcastQueue: Int,
                rejectedPackets: Int, invalidUpdates: Int, refutations: Int, graylistedSources: Int, deathsRecorded: Int, sendFailures: Int, gossip: MeshGossipHealth) {
        self.sendFailures = sendFailures
        self.gossip = gossip
        self.alive = alive
        self.suspect = suspect
        self.dead = dead
        self.left = left
        self.healthMultiplier = healthMultiplier
        self.incarnation = incarnation
        self.broadcastQueue = broadcastQueue
        self.rejectedPackets = rejectedPackets
        self.invalidUpdates = invalidUpdates
        self.refutations = refutations
        self.graylistedSources = graylistedSources
        self.deathsRecorded = deathsRecorded
    }
}

/// The announcement mesh (gossipsub v1.1 shape) in `MeshHealth`; counts are since start.
public struct MeshGossipHealth: Codable, Sendable, Equatable {
    /// Peers in this node's mesh (kept between 4 and 12, aiming at 6).
    public var meshDegree: Int
    /// Members the router exchanges gossip with.
    public var peers: Int
    /// Peers whose score is below the graylist threshold: nothing from them is read.
    public var graylistedPeers: Int
    /// Announcements of other origins accepted, refused (forged, malformed), and seen again.
    public var accepted: Int
    public var rejected: Int
    public var duplicates: Int
    /// Gossip from non-members or graylisted peers, dropped unread.
    public var ignored: Int
    /// Peers that advertised an announcement (IHAVE), were asked, and did not deliver.
    public var brokenPromises: Int
    /// Full announcements sent, and IHAVE lists sent.
    public var payloadSends: Int
    public var ihaveSends: Int
    /// Gossip packets waiting for the router.
    public var queue: Int

    public init(meshDegree: Int, peers: Int, graylistedPeers: Int, accepted: Int, rejected: Int, duplicates: Int, ignored: Int,
                brokenPromises: Int, payloadSends: Int, ihaveSends: Int, queue: Int) {
        self.meshDegree = meshDegree
        self.peers = peers
        self.graylistedPeers = graylistedPeers
        self.accepted = accepted
        self.rejected = rejected
        self.duplicates = duplicates
        self.ignored = ignored
        self.brokenPromises = brokenPromises
        self.payloadSends = payloadSends
        self.ihaveSends = ihaveSends
        self.queue = queue
    }
}

/// `POST /internal/v1/provide` (storage → its mesh gateway): CIDs this node now holds or no
/// longer holds. The gateway signs them into announcements of at most 1,000 CIDs each.
public struct ProvideRequest: Codable, Sendable, Equatable {
    public var added: [String]
    public var removed: [String]

    public init(added: [String], removed: [String]) {
        self.added = added
        self.removed = removed
    }
}

/// What `POST /internal/v1/provide` did.
public struct ProvideResponse: Codable, Sendable, Equatable {
    /// Announcements signed and stored (0 for an empty request).
    public var announcements: Int
    /// The sequence number of the last of them in this node's provider log.
    public var lastSequence: UInt64

    public init(announcements: Int, lastSequence: UInt64) {
        self.announcements = announcements
        self.lastSequence = lastSequence
    }
}

/// `POST /internal/v1/providers/report` (storage → its mesh gateway): a provider let a fetch
/// down. `corrupt`: it served bytes that do not hash to the CID asked for (storage checks every
/// fetched block, so this is proof, not suspicion). `missing`: it answered that it does not hold
/// a block under a root it announces (announcements name pinned roots, and a pin holds its whole
/// DAG). The gateway lowers the peer's score (gossipsub's application-specific P5; `missing`
/// less, since an unpin may be on its way); storage never asks that peer for that CID again.
public struct ProviderReport: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case corrupt
        case missing
    }

    public var peerID: String
    public var cid: String
    public var kind: Kind
    /// What was wrong, for the gateway's log (at most 200 characters are kept).
    public var reason: String

    public init(peerID: String, cid: String, kind: Kind, reason: String) {
        self.peerID = peerID
        self.cid = cid
        self.kind = kind
        self.reason = reason
    }
}

/// What `POST /internal/v1/providers/report` did.
public struct ProviderReportResponse: Codable, Sendable, Equatable {
    public var peerID: String
    /// The peer's score after the penalty (nil when the peer is not a gossip peer of this
    /// gateway: nothing could be penalised).
    public var score: Double?

    public init(peerID: String, score: Double?) {
        self.peerID = peerID
        self.score = score
    }
}

/// `GET /v1/providers/{cid}`: the live members (and this node) whose latest announcement says
/// they hold the CID.
public struct ProvidersResponse: Codable, Sendable, Equatable {
    public var cid: String
    public var providers: [MeshPeer]
    /// Peer ID → when this gateway stored the announcement that names it (Unix milliseconds,
    /// this gateway's clock).
    public var learnedAt: [String: UInt64]

    public init(cid: String, providers: [MeshPeer], learnedAt: [String: UInt64] = [:]) {
        self.cid = cid
        self.providers = providers
        self.learnedAt = learnedAt
    }
}

/// `POST /v1/mesh/providers/digest`: per origin, the announcements the asker holds without a
/// gap (1…n); the answer is every newer announcement the gateway has, signed by its origin.
public struct ProviderDigest: Codable, Sendable, Equatable {
    /// Peer ID → n.
    public var have: [String: UInt64]

    public init(have: [String: UInt64]) {
        self.have = have
    }
}

/// The IPFS delegated-routing answer (HTTP routing v1, `GET /routing/v1/providers/{cid}`).
public struct RoutingProvidersResponse: Codable, Sendable, Equatable {
    public var providers: [RoutingPeerRecord]

    enum CodingKeys: String, CodingKey {
        case providers = "Providers"
    }

    public init(providers: [RoutingPeerRecord]) {
        self.providers = providers
    }
}

/// One provider in the routing v1 "peer" schema.
public struct RoutingPeerRecord: Codable, Sendable, Equatable {
    public var schema: String
    /// libp2p peer ID (`12D3KooW…`).
    public var id: String
    /// Multiaddrs of the provider's storage, e.g. `/ip4/10.0.0.5/tcp/7070/https`.
    public var addrs: [String]
    /// `transport-ipfs-gateway-http`: the provider serves the IPFS trustless-gateway forms.
    public var protocols: [String]

    enum CodingKeys: String, CodingKey {
        case schema = "Schema", id = "ID", addrs = "Addrs", protocols = "Protocols"
    }

    public init(schema: String = "peer", id: String, addrs: [String], protocols: [String]) {
        self.schema = schema
        self.id = id
        self.addrs = addrs
        self.protocols = protocols
    }
}
