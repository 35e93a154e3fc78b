import Crypto
@testable import MeshGatewayService
import PakitCore
import Testing

/// An in-memory network for the membership state machines: virtual milliseconds, seeded
/// randomness, 1–2 ms per hop, optional loss, partitions and stopped nodes. Packets travel as
/// real signed wire bytes and are decoded (signature checked) on arrival, exactly as the UDP
/// shell does; state exchanges (HTTPS in the gateway) travel the same way but are not lost at
/// random. Deterministic: a seed gives the same run every time.
final class VirtualMesh {
    struct Node {
        let key: Curve25519.Signing.PrivateKey
        let membership: SWIMMembership
        var running = true
    }

    private(set) var nodes: [Node] = []
    private var addressIndex: [MeshAddress: Int] = [:]
    private var inFlight: [(at: UInt64, order: Int, to: MeshAddress, from: MeshAddress, bytes: [UInt8])] = []
    private var order = 0
    private var random: SplitMix64
    private(set) var now: UInt64 = 0
    var loss = 0.0
    /// Nodes in different groups cannot reach each other (nil: no partition).
    var partition: [Int]? = nil
    private(set) var packetsSent = 0
    /// Every "dead" verdict reached: (time, observer, subject).
    private(set) var deaths: [(at: UInt64, observer: Int, subject: PeerID)] = []
    private(set) var rejectedPackets = 0

    init(nodes count: Int, seed: UInt64, settings: SWIMSettings = SWIMSettings()) throws {
        random = SplitMix64(seed: seed)
        for index in 0..<count {
            let (key, record) = try IdentityAndWireTests.node(index + 1)
            var unique = record
            unique.meshAddress = try MeshAddress(host: "10.0.\(index / 250).\(index % 250 + 1)", port: 7946)
            let membership = try SWIMMembership(key: key, record: unique, settings: settings, seed: seed &+ UInt64(index), now: 0)
            addressIndex[unique.meshAddress] = index
            nodes.append(Node(key: key, membership: membership))
        }
    }

    func address(_ index: Int) -> MeshAddress { nodes[index].membership.record.record.meshAddress }
    func peer(_ index: Int) -> PeerID { nodes[index].membership.me }

    /// A state exchange, as a join or the periodic push-pull does it (over TLS in the gateway).
    func exchangeState(_ a: Int, _ b: Int) {
        let fromA = nodes[a].membership.stateUpdates()
        let fromB = nodes[b].membership.stateUpdates()
        nodes[b].membership.mergeState(fromA, now: now)
        nodes[a].membership.mergeState(fromB, now: now)
    }

    /// A join as the gateway does it: a state exchange with the seed, then the joiner's record
    /// straight to the members it learned of.
    func join(_ index: Int, through seed: Int) {
        exchangeState(seed, index)
        send(nodes[index].membership.announceSelf(), from: index)
    }

    func stop(_ index: Int) { nodes[index].running = false }
    func resume(_ index: Int) { nodes[index].running = true }

    /// Delivers raw bytes as if they came from `from` (hostile-input tests).
    func inject(_ bytes: [UInt8], to index: Int, from: MeshAddress) {
        enqueue(bytes, to: address(index), from: from, delay: 1)
    }

    func send(_ packets: [OutgoingPacket], from index: Int) {
        let node = nodes[index]
        for case .statusChanged(let subject, .dead) in node.membership.drainEvents() { deaths.append((now, index, subject)) }
        for packet in packets {
            guard let bytes = try? MeshPacket(sender: node.membership.me, body: packet.body).encoded(signedWith: node.key) else { continue }
            packetsSent += 1
            enqueue(bytes, to: packet.address, from: address(index), delay: 1 + random.next() % 2)
        }
    }

    private func enqueue(_ bytes: [UInt8], to: MeshAddress, from: MeshAddress, delay: UInt64) {
        order += 1
        inFlight.append((at: now + delay, order: order, to: to, from: from, bytes: bytes))
    }

    /// Runs until `end` (virtual milliseconds).
    func run(until end: UInt64) {
        while true {
            let nextTimer = nodes.indices.filter { nodes[$0].running }.map { nodes[$0].membership.nextDeadline }.min() ?? UInt64.max
            let nextPacket = inFlight.map(\.at).min() ?? UInt64.max
            let next = min(nextTimer, nextPacket)
            guard next <= end else {
                now = end
                return
            }
            now = max(now, next)
            if nextPacket <= nextTimer {
                inFlight.sort { ($0.at, $0.order) < ($1.at, $1.order) }
                let delivery = inFlight.removeFirst()
                deliver(delivery.bytes, to: delivery.to, from: delivery.from)
            } else {
                for index in nodes.indices where nodes[index].running && nodes[index].membership.nextDeadline <= now {
                    send(nodes[index].membership.tick(now: now), from: index)
                }
            }
        }
    }

    private func deliver(_ bytes: [UInt8], to: MeshAddress, from: MeshAddress) {
        // A stopped node receives nothing; what it sent before it stopped still arrives.
        guard let index = addressIndex[to], nodes[index].running else { return }
        if let partition, let sender = addressIndex[from], partition[sender] != partition[index] { return }
        // State exchanges travel over TLS (TCP retransmits): random loss spares them.
        if loss > 0, bytes.count > 4, bytes[4] != 6, Double(random.next() % 1_000_000) / 1_000_000 < loss { return }
        guard let packet = try? MeshPacket.decode(bytes, maximumSize: MeshPacket.maximumStateSize) else {
            rejectedPackets += 1
            return
        }
        send(nodes[index].membership.receive(packet, from: from, now: now), from: index)
    }

    /// What `observer` believes about `subject`.
    func status(of subject: Int, at observer: Int) -> MemberStatus? {
        nodes[observer].membership.member(peer(subject))?.status
    }

    /// Observers (running, other than `subject`) whose view of `subject` is not `expected`.
    func dissenters(about subject: Int, expected: MemberStatus, among observers: [Int]? = nil) -> [Int] {
        (observers ?? Array(nodes.indices)).filter { $0 != subject && nodes[$0].running && status(of: subject, at: $0) != expected }
    }
}

@Suite("SWIM membership (virtual network)")
struct SWIMSimulationTests {
    /// Joins every node through node 0 (one state exchange each), as `pakit up` with one seed does.
    static func joined(_ count: Int, seed: UInt64, settings: SWIMSettings = SWIMSettings()) throws -> VirtualMesh {
        let mesh = try VirtualMesh(nodes: count, seed: seed, settings: settings)
        for index in 1..<count { mesh.exchangeState(0, index) }
        return mesh
    }

    @Test("a joiner's own announcement reaches every member within milliseconds, not gossip rounds")
    func joinerAnnouncesItself() throws {
        let mesh = try VirtualMesh(nodes: 24, seed: 9)
        for index in 1..<23 { mesh.exchangeState(0, index) }
        mesh.run(until: 5_000)
        mesh.join(23, through: 0)
        // Gossip runs every 100 ms; 10 ms is one hop of the direct announcement.
        mesh.run(until: 5_010)
        #expect(mesh.dissenters(about: 23, expected: .alive).isEmpty, "\(mesh.dissenters(about: 23, expected: .alive)) do not know the joiner")
    }

    @Test("members that joined through one seed all learn each other by gossip", arguments: [UInt64(1), 2, 3])
    func convergence(seed: UInt64) throws {
        let mesh = try Self.joined(24, seed: seed)
        mesh.run(until: 5_000)
        for subject in 0..<24 {
            #expect(mesh.dissenters(about: subject, expected: .alive).isEmpty, "node \(subject) not alive everywhere")
        }
        #expect(mesh.nodes.allSatisfy { $0.membership.liveMemberCount == 23 })
    }

    @Test("a silent (killed) member is suspected, then declared dead by every other member; no one else is", arguments: Array(UInt64(4)...UInt64(7)))
    func failureDetection(seed: UInt64) throws {
        let mesh = try Self.joined(16, seed: seed)
        mesh.run(until: 3_000)
        mesh.stop(7)
        // Members that hear the suspicion probe the suspect themselves and confirm it, so the
        // suspicion runs near its minimum (1.8 s at 16 members) instead of its maximum (7.2 s):
        // dead everywhere 2.5–3.0 virtual seconds after the kill (without confirmations 3.6–8.0).
        mesh.run(until: 3_000 + 3_500)
        #expect(mesh.dissenters(about: 7, expected: .dead).isEmpty, "not dead everywhere 3.5 s after the kill")
        mesh.run(until: 3_000 + 20_000)
        for subject in 0..<16 where subject != 7 {
            #expect(mesh.dissenters(about: subject, expected: .alive).isEmpty,
                    "false death of \(subject): \(mesh.dissenters(about: subject, expected: .alive).map { "\($0): \(String(describing: mesh.status(of: subject, at: $0)))" })")
        }
    }

    @Test("under 10% packet loss and a member paused for a second, nobody is ever declared dead (suspicions are refuted in time)", arguments: Array(UInt64(20)...UInt64(25)))
    func noFalseDeaths(seed: UInt64) throws {
        let mesh = try Self.joined(16, seed: seed)
        mesh.loss = 0.10
        mesh.run(until: 5_000)
        mesh.stop(3)
        mesh.run(until: 6_000)
        mesh.resume(3)
        mesh.run(until: 40_000)
        #expect(mesh.deaths.isEmpty, "false deaths: \(mesh.deaths.map { "t=\($0.at) \($0.observer)" })")
        mesh.loss = 0
        mesh.run(until: 50_000)
        for subject in 0..<16 {
            #expect(mesh.dissenters(about: subject, expected: .alive).isEmpty, "member \(subject) not alive everywhere once the loss ends")
        }
    }

    @Test("a false accusation by a member is refuted: the subject outranks it with a higher, self-signed incarnation")
    func refutation() throws {
        let mesh = try Self.joined(8, seed: 8)
        mesh.run(until: 3_000)
        let accuser = mesh.nodes[2]
        let lie = try MembershipStatement(.suspect, about: mesh.peer(5), incarnation: 0, signedBy: accuser.key)
        mesh.inject(try MeshPacket(sender: mesh.peer(2), body: .gossip(updates: [.statement(lie)])).encoded(signedWith: accuser.key),
                    to: 0, from: mesh.address(2))
        mesh.run(until: 3_010)
        #expect(mesh.status(of: 5, at: 0) == .suspect)
        mesh.run(until: 10_000)
        #expect(mesh.nodes[5].membership.record.record.incarnation >= 1)
        #expect(mesh.dissenters(about: 5, expected: .alive).isEmpty)
        #expect(mesh.nodes[5].membership.refutations >= 1)
    }

    @Test("forged, replayed and outsider statements change nothing: bad signatures are counted and dropped, outsiders may not accuse")
    func forgeries() throws {
        let mesh = try Self.joined(6, seed: 9)
        mesh.run(until: 3_000)
        let outsiderKey = Curve25519.Signing.PrivateKey()
        let outsider = try PeerID(ed25519PublicKey: outsiderKey.publicKey.rawRepresentation)
        // An outsider's correctly signed accusation and death notice.
        let accusation = try MembershipStatement(.dead, about: mesh.peer(1), incarnation: 5, signedBy: outsiderKey)
        mesh.inject(try MeshPacket(sender: outsider, body: .gossip(updates: [.statement(accusation)])).encoded(signedWith: outsiderKey),
                    to: 0, from: try MeshAddress("10.9.9.9:7946"))
        // A member's statement with its signature bytes altered.
        let member = mesh.nodes[2]
        var writer = WireWriter()
        MembershipUpdate.statement(try MembershipStatement(.dead, about: mesh.peer(3), incarnation: 9, signedBy: member.key)).write(to: &writer)
        var bytes = writer.bytes
        bytes[bytes.count - 1] ^= 0x01
        var reader = WireReader(bytes)
        let tampered = try MembershipUpdate.decode(&reader)
        mesh.inject(try MeshPacket(sender: mesh.peer(2), body: .gossip(updates: [tampered])).encoded(signedWith: member.key), to: 0, from: mesh.address(2))
        // A replay of node 4's incarnation-0 record after it moved on to a higher incarnation.
        let old = mesh.nodes[4].membership.record
        let lie = try MembershipStatement(.suspect, about: mesh.peer(4), incarnation: 0, signedBy: mesh.nodes[1].key)
        mesh.inject(try MeshPacket(sender: mesh.peer(1), body: .gossip(updates: [.statement(lie)])).encoded(signedWith: mesh.nodes[1].key), to: 4, from: mesh.address(1))
        mesh.run(until: 8_000)
        #expect(mesh.nodes[4].membership.record.record.incarnation >= 1)
        mesh.inject(try MeshPacket(sender: mesh.peer(4), body: .gossip(updates: [.alive(old)])).encoded(signedWith: mesh.nodes[4].key), to: 0, from: mesh.address(4))
        mesh.run(until: 12_000)
        #expect(mesh.nodes[0].membership.member(mesh.peer(4))?.incarnation == mesh.nodes[4].membership.record.record.incarnation)
        #expect(mesh.nodes[0].membership.invalidUpdates >= 1)
        #expect(mesh.nodes[0].membership.member(outsider) == nil)
        for subject in 0..<6 {
            #expect(mesh.dissenters(about: subject, expected: .alive).isEmpty)
        }
        // A packet whose envelope does not verify never reaches the membership.
        var broken = try MeshPacket(sender: mesh.peer(2), body: .nack(sequence: 1)).encoded(signedWith: member.key)
        broken[10] ^= 0xff
        let before = mesh.rejectedPackets
        mesh.inject(broken, to: 0, from: mesh.address(2))
        mesh.run(until: 12_100)
        #expect(mesh.rejectedPackets == before + 1)
    }

    @Test("a partition that heals merges again: each side declares the other dead, re-probes find them, refutations revive them")
    func partitionHeals() throws {
        let mesh = try Self.joined(10, seed: 10)
        mesh.run(until: 3_000)
        mesh.partition = (0..<10).map { $0 < 5 ? 0 : 1 }
        mesh.run(until: 40_000)
        #expect(mesh.dissenters(about: 7, expected: .dead, among: [0, 1, 2, 3, 4]).isEmpty)
        #expect(mesh.dissenters(about: 2, expected: .dead, among: [5, 6, 7, 8, 9]).isEmpty)
        mesh.partition = nil
        mesh.run(until: 80_000)
        for subject in 0..<10 {
            #expect(mesh.dissenters(about: subject, expected: .alive).isEmpty, "member \(subject) not alive everywhere after the heal")
        }
    }

    @Test("a member that leaves says so, signed; every other member records it as left, not dead")
    func gracefulLeave() throws {
        let mesh = try Self.joined(8, seed: 11)
        mesh.run(until: 3_000)
        mesh.send(try mesh.nodes[6].membership.leave(now: mesh.now), from: 6)
        mesh.stop(6)
        mesh.run(until: 10_000)
        #expect(mesh.dissenters(about: 6, expected: .left).isEmpty)
    }
}
