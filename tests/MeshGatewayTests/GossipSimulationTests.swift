import Crypto
@testable import MeshGatewayService
import MeshSimulation
import PakitCore
import Testing

/// The announcement router (gossipsub v1.1 shape) in a simulated network: virtual time, real
/// signed datagrams, seeded. Times asserted are virtual milliseconds, so they are exact
/// properties of the protocol, not of this machine's speed.
@Suite("Announcement gossip (virtual network)")
struct GossipSimulationTests {
    /// 64 nodes whose meshes have formed (two virtual seconds of heartbeats).
    static func warmed(_ count: Int = 64, seed: UInt64, behaviours: [Int: GossipSimulation.Behaviour] = [:],
                       settings: GossipSettings = GossipSettings()) throws -> GossipSimulation {
        let simulation = try GossipSimulation(nodes: count, seed: seed, settings: settings, behaviours: behaviours)
        simulation.run(until: 2_000)
        return simulation
    }

    @Test("every mesh settles between D_lo and D_hi, with its outbound quota", arguments: [UInt64(1), 2])
    func meshDegree(seed: UInt64) throws {
        let simulation = try Self.warmed(seed: seed)
        for node in simulation.nodes {
            let degree = node.router.meshPeers.count
            #expect(degree >= 4 && degree <= 12, "mesh degree \(degree)")
            #expect(node.router.outboundMeshCount >= 2, "\(node.router.outboundMeshCount) outbound mesh peers")
        }
    }

    @Test("an announcement reaches every node in milliseconds with about D sends per node", arguments: [UInt64(1), 2, 3])
    func dissemination(seed: UInt64) throws {
        let simulation = try Self.warmed(seed: seed)
        let sendsBefore = simulation.payloadSends
        let start = simulation.now
        let id = try simulation.publish(from: 5)
        simulation.run(until: start + 1_000)
        let delays = simulation.deliveryDelays(id, since: start)
        #expect(delays.allSatisfy { $0 != nil }, "\(delays.count { $0 == nil }) of 64 never got it")
        #expect(delays.compactMap { $0 }.max() ?? .max <= 10, "slowest \(delays.compactMap { $0 }.max() ?? 0) ms")
        let perNode = Double(simulation.payloadSends - sendsBefore) / 64
        let meanDegree = Double(simulation.nodes.map { $0.router.meshPeers.count }.reduce(0, +)) / 64
        // The origin's flood (63 sends) plus at most one forward per mesh link: nothing is sent
        // twice to the same peer and nothing goes back to where it came from.
        #expect(perNode <= 1 + meanDegree, "\(perNode) payload sends per node, mean mesh degree \(meanDegree)")
        #expect(perNode >= 1, "\(perNode) payload sends per node")
    }

    @Test("at 20% loss with 30% black holes every honest node still gets it", arguments: [UInt64(1), 2, 3])
    func lossAndBlackHoles(seed: UInt64) throws {
        var behaviours: [Int: GossipSimulation.Behaviour] = [:]
        for position in stride(from: 1, to: 64, by: 3) { behaviours[position] = .silent }  // 21 of 64
        let simulation = try Self.warmed(seed: seed, behaviours: behaviours)
        simulation.loss = 0.2
        let start = simulation.now
        let id = try simulation.publish(from: 0)
        simulation.run(until: start + 5_000)
        let delays = simulation.deliveryDelays(id, since: start)
        #expect(delays.allSatisfy { $0 != nil }, "\(delays.count { $0 == nil }) of \(delays.count) honest nodes never got it")
        let slowest = delays.compactMap { $0 }.max() ?? .max
        #expect(slowest <= 1_000, "slowest honest node after \(slowest) ms")
    }

    @Test("forgers are refused, fall below the graylist threshold within 10 s and are no longer heard")
    func forgersAreGraylisted() throws {
        let forgers = [3, 17, 40]
        let simulation = try Self.warmed(seed: 7, behaviours: Dictionary(uniqueKeysWithValues: forgers.map { ($0, .forger) }))
        simulation.run(until: 12_000)
        for forger in forgers {
            let peer = simulation.nodes[forger].peer
            let stillHeard = simulation.honest.filter { !simulation.nodes[$0].router.isGraylisted(peer, now: simulation.now) }
            #expect(stillHeard.isEmpty, "forger \(forger) still above the graylist at \(stillHeard.count) nodes")
        }
        let honest = simulation.honest
        #expect(honest.allSatisfy { simulation.nodes[$0].router.stats.accepted == 0 }, "a forged announcement was accepted")
        #expect(honest.contains { simulation.nodes[$0].router.stats.rejected > 0 })
        // Graylisted: their RPCs are now ignored unread.
        let ignoredBefore = honest.map { simulation.nodes[$0].router.stats.ignoredRPCs }.reduce(0, +)
        simulation.run(until: 13_000)
        let ignoredAfter = honest.map { simulation.nodes[$0].router.stats.ignoredRPCs }.reduce(0, +)
        #expect(ignoredAfter > ignoredBefore)
        // And honest traffic still flows.
        let start = simulation.now
        let id = try simulation.publish(from: 0)
        simulation.run(until: start + 1_000)
        #expect(simulation.deliveryDelays(id, since: start).allSatisfy { $0 != nil })
    }

    @Test("gossip RPCs round-trip in signed packets; impossible counts and flags are refused before allocation")
    func wire() throws {
        let key = Curve25519.Signing.PrivateKey()
        let me = try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation)
        let announcement = try ProviderAnnouncement(origin: key, sequence: 3, issuedAt: 9, added: [CID.raw(sha256Of: [1])], removed: [])
        let rpc = GossipRPC(messages: [announcement], ihave: [.init(id: MessageID(announcement), size: 170)],
                            iwant: [MessageID(origin: me, sequence: 2)], graft: true, prune: 60)
        let bytes = try MeshPacket(sender: me, body: .pubsub(rpc)).encoded(signedWith: key)
        #expect(try MeshPacket.decode(bytes).body == .pubsub(rpc))

        func packet(_ body: [UInt8]) throws -> [UInt8] {
            let header: [UInt8] = [0x50, 0x4B, 0x4D, 0x01, 7] + me.publicKey
            return header + body + Array(try key.signature(for: Array("pakit-mesh/1 packet".utf8) + header + body))
        }
        // 60,000 IHAVE entries claimed in a few bytes; a GRAFT flag of 2; a zero sequence.
        #expect(throws: MeshWireError.self) { try MeshPacket.decode(try packet([0, 0, 0xEA, 0x60, 0, 0, 0, 0])) }
        #expect(throws: MeshWireError.self) { try MeshPacket.decode(try packet([0, 0, 0, 0, 0, 0, 2, 0])) }
        #expect(throws: MeshWireError.self) { try MeshPacket.decode(try packet([0, 0, 0, 0, 0, 1] + me.publicKey + [UInt8](repeating: 0, count: 8) + [0, 0])) }
        #expect(try MeshPacket.decode(try packet([0, 0, 0, 0, 0, 0, 0, 1, 0, 10])).body == .pubsub(GossipRPC(prune: 10)))
    }

    @Test("a spammer advertising ids it never delivers and grafting during its backoff sinks below the gossip threshold")
    func spammerIsPenalised() throws {
        let simulation = try Self.warmed(seed: 11, behaviours: [9: .spammer])
        simulation.run(until: 20_000)
        let spammer = simulation.nodes[9].peer
        let threshold = GossipSettings().score.gossipThreshold
        let stillHeard = simulation.honest.filter { simulation.nodes[$0].router.score(of: spammer, now: simulation.now) >= threshold }
        #expect(stillHeard.isEmpty, "the spammer is above the gossip threshold at \(stillHeard.count) nodes")
        #expect(simulation.honest.allSatisfy { !simulation.nodes[$0].router.meshPeers.contains(spammer) })
        #expect(simulation.honest.contains { simulation.nodes[$0].router.stats.brokenPromises > 0 })
    }

    @Test("black holes lose their mesh places to the delivery deficit, and a peer's score survives leaving and rejoining")
    func deficitAndRetention() throws {
        var settings = GossipSettings()
        settings.score.meshDeliveryActivation = 2_000
        let simulation = try Self.warmed(seed: 5, behaviours: [20: .silent], settings: settings)
        // Traffic, so that honest mesh peers deliver and the black hole does not.
        for round in 0..<40 {
            try simulation.publish(from: round % 10)
            simulation.run(until: simulation.now + 250)
        }
        let hole = simulation.nodes[20].peer
        let observers = simulation.honest
        #expect(observers.allSatisfy { !simulation.nodes[$0].router.meshPeers.contains(hole) }, "the black hole kept a mesh place")
        // Those that had it in their mesh hold its deficit against it (P3b).
        let scores = observers.map { simulation.nodes[$0].router.score(of: hole, now: simulation.now) }
        #expect(scores.allSatisfy { $0 <= 0 })
        let observer = observers[scores.indices.min { scores[$0] < scores[$1] } ?? 0]
        let before = simulation.nodes[observer].router.score(of: hole, now: simulation.now)
        #expect(before < 0)
        // It leaves and comes back: the counters were kept.
        simulation.setRunning(20, false)
        simulation.run(until: simulation.now + 1_000)
        simulation.setRunning(20, true)
        let after = simulation.nodes[observer].router.score(of: hole, now: simulation.now)
        #expect(after < 0, "score \(before) before leaving, \(after) after rejoining")
    }

    @Test("an announcement too large for a datagram goes as IHAVE and is pulled, everywhere")
    func largeAnnouncementsArePulled() throws {
        let simulation = try Self.warmed(seed: 13)
        let start = simulation.now
        let id = try simulation.publish(from: 2, cids: 200)
        let sendsBefore = simulation.payloadSends
        simulation.run(until: start + 2_000)
        #expect(simulation.deliveryDelays(id, since: start).allSatisfy { $0 != nil })
        #expect(simulation.payloadSends == sendsBefore, "a large announcement went out in a datagram")
    }
}
