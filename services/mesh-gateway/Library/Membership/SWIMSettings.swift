/// SWIM with Lifeguard: how often to probe, how long to wait, how suspicious to be.
///
/// Defaults are the loopback/LAN starting point of the mesh reference (`mesh.md` §8): probes
/// every 500 ms with a 150 ms timeout (both × the local health multiplier), 3 indirect probes,
/// suspicion between 3·max(1, log10 N) probe intervals and 4× that, shortened by up to 3
/// independent confirmations, gossip every 100 ms to 3 members.
public struct SWIMSettings: Sendable, Equatable {
    /// Milliseconds between probes (× the local health multiplier).
    public var probeInterval: UInt64 = 500
    /// Milliseconds to wait for a direct ack before asking others (× the multiplier).
    public var probeTimeout: UInt64 = 150
    /// Members asked to probe a silent target for us.
    public var indirectChecks = 3
    /// Minimum suspicion = this × max(1, log10 N) × probe interval.
    public var suspicionMultiplier: Double = 3
    /// Maximum suspicion = this × minimum.
    public var suspicionMaximumMultiplier: Double = 4
    /// Independent confirmations that shrink a suspicion to its minimum (Lifeguard's k).
    public var suspicionConfirmations = 3
    /// Local health multiplier ceiling (Lifeguard: 8).
    public var awarenessMaximum = 8
    /// Milliseconds between gossip rounds, and members each round reaches.
    public var gossipInterval: UInt64 = 100
    public var gossipNodes = 3
    /// Each update is sent this × ⌈log10(N + 1)⌉ times.
    public var retransmitMultiplier = 4
    /// Dead members still get gossip this long (so they learn they were declared dead).
    public var gossipToTheDead: UInt64 = 30_000
    /// One dead member is probed again this often, so a healed partition rejoins.
    public var reprobeInterval: UInt64 = 5_000
    /// How long dead members are kept (and re-probed) before they are forgotten.
    public var deadRetention: UInt64 = 24 * 3_600_000
    /// Milliseconds between state exchanges with one random member (anti-entropy: repairs
    /// what gossip missed); scaled up above 32 members as memberlist does.
    public var pushPullInterval: UInt64 = 10_000
    /// Bytes of a UDP packet the membership fills (memberlist's 1400: no IP fragmentation).
    public var packetBudget = 1_400

    public init() {}
}
