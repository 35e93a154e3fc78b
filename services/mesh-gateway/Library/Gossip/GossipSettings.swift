/// The announcement mesh: gossipsub v1.1's parameters (`mesh.md` §3.1 and §8), times in
/// milliseconds.
public struct GossipSettings: Sendable, Equatable {
    /// Mesh degree: target, low and high water marks, the part kept by score and the outbound
    /// quota (peers this node grafted itself, so inbound grafts cannot eclipse it).
    public var d = 6
    public var dLow = 4
    public var dHigh = 12
    public var dScore = 4
    public var dOut = 2
    /// Peers that get IHAVE each heartbeat: at least `dLazy`, or `gossipFactor` of the
    /// non-mesh peers.
    public var dLazy = 6
    public var gossipFactor = 0.25
    public var heartbeatInterval: UInt64 = 200
    /// Heartbeats of ids kept for IWANT, and how many of the newest are named in IHAVE.
    public var historyLength = 5
    public var historyGossip = 3
    /// How long a message id is remembered as seen (gossipsub's seen TTL).
    public var seenTTL: UInt64 = 120_000
    /// How long a pruned peer must wait before grafting again (gossipsub: 1 min).
    public var pruneBackoff: UInt64 = 60_000
    /// A graft this soon after a prune counts double in the behaviour penalty.
    public var graftFloodThreshold: UInt64 = 10_000
    /// Every this many heartbeats, graft `opportunisticGraftPeers` better peers when the
    /// mesh's median score is under the threshold.
    public var opportunisticGraftTicks = 60
    public var opportunisticGraftPeers = 2
    /// IHAVE caps: messages from one peer per heartbeat, ids asked of one peer per heartbeat.
    public var maxIHaveMessages = 10
    public var maxIHaveLength = 5_000
    /// An IWANT answered this many times per id per peer, at most.
    public var maxIWantAnswers = 3
    /// A peer that advertised an id and was asked for it must deliver within this.
    public var iwantFollowupTime: UInt64 = 3_000
    /// Announcements up to this many encoded bytes travel in datagrams; larger ones are
    /// announced with IHAVE and pulled over HTTPS (no IP fragmentation on a 1,500-byte path).
    public var eagerPayloadLimit = 1_200
    /// Bytes of a datagram the router fills (memberlist's 1,400).
    public var packetBudget = 1_400
    public var score = PeerScoreSettings()

    public init() {}
}

/// gossipsub v1.1 peer scoring for the single announcement topic:
///
/// score = w1·P1 + w2·P2 + w3·P3 + w3b·P3b + w4·P4 + w5·P5 + w6·P6 + w7·P7
///
/// Weights and decays follow the v1.1 attack evaluation's parameter set (gossipsub-hardening,
/// `mesh.md` §3.3) with its topic weight 0.25 folded in. One deviation: the mesh-delivery
/// threshold (P3) is `min(meshDeliveryThreshold, meshDeliveryFraction × messages this node
/// received)`, and zero below `meshDeliveryMinimumMessages`, so in a quiet topic (announcements
/// come in bursts, then nothing for hours) honest mesh peers are not punished for deliveries
/// that never existed.
public struct PeerScoreSettings: Sendable, Equatable {
    public var gossipThreshold: Double = -4_000
    public var publishThreshold: Double = -5_000
    public var graylistThreshold: Double = -10_000
    public var opportunisticGraftThreshold: Double = 1
    /// Counters decay every this many milliseconds; below `decayToZero` they are zero.
    public var decayInterval: UInt64 = 1_000
    public var decayToZero = 0.01
    /// A departed peer's counters are kept this long: leaving and rejoining resets nothing.
    public var retainScore: UInt64 = 600_000

    /// P1: time in mesh, per quantum, capped.
    public var timeInMeshWeight = 0.25 * 0.0027
    public var timeInMeshQuantum: UInt64 = 1_000
    public var timeInMeshCap = 3_600.0
    /// P2: first deliveries of valid messages.
    public var firstDeliveryWeight = 0.25 * 0.664
    public var firstDeliveryDecay = 0.9916
    public var firstDeliveryCap = 1_500.0
    /// P3: mesh delivery deficit², once a peer has been in the mesh `meshDeliveryActivation`.
    public var meshDeliveryWeight = 0.25 * -0.25
    public var meshDeliveryDecay = 0.997
    public var meshDeliveryCap = 400.0
    public var meshDeliveryThreshold = 10.0
    public var meshDeliveryFraction = 0.5
    /// P3 counts only once this node has received this many announcements (decaying): with a
    /// handful, which peer happened to forward first says nothing about a peer's honesty.
    public var meshDeliveryMinimumMessages = 20.0
    public var meshDeliveryActivation: UInt64 = 10_000
    /// A duplicate from a mesh peer this soon after the first copy still counts as delivered.
    public var meshDeliveryWindow: UInt64 = 50
    /// P3b: the deficit a peer had when it was pruned, kept.
    public var meshFailureWeight = 0.25 * -0.25
    public var meshFailureDecay = 0.997
    /// P4: invalid messages² (forged, malformed inside a valid packet).
    public var invalidMessageWeight = 0.25 * -99
    public var invalidMessageDecay = 0.9994
    /// P5: what the application says (a provider whose content failed verification).
    public var applicationWeight = 1.0
    public var applicationDecay = 0.999
    /// P6: (peers on one IP − threshold)².
    public var ipColocationWeight = -35.0
    public var ipColocationThreshold = 10
    /// P7: (behaviour penalties − threshold)²: grafts during backoff, broken IWANT promises,
    /// more IHAVE than allowed.
    public var behaviourPenaltyWeight = -10.0
    public var behaviourPenaltyThreshold = 2.0
    public var behaviourPenaltyDecay = 0.99

    public init() {}
}
