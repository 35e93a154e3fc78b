import Crypto
import MeshGatewayService
import PakitCore

/// A simulated network of announcement routers (`GossipRouter`): virtual milliseconds, seeded
/// randomness, 1–2 ms per hop, independent random loss, and hostile nodes. A simulator, not
/// the product: it exists because a build machine cannot run thousands of gateways; the
/// routers in it are the gateway's own, and with `wire` on every RPC travels as the real
/// signed datagram bytes and is decoded (signature checked) on arrival.
///
/// Deterministic: the same seed gives the same run.
public final class GossipSimulation {
    public enum Behaviour: Sendable, Equatable {
        case honest
        /// A black hole: takes part in nothing, answers nothing, forwards nothing (but stays
        /// a member, so others graft it).
        case silent
        /// Sends announcements of honest origins with a changed sequence number (the
        /// signature no longer holds) to its peers every heartbeat.
        case forger
        /// Advertises ids it never delivers (IHAVE spam) and grafts again during its backoff.
        case spammer
    }

    public struct Node {
        public let key: Curve25519.Signing.PrivateKey
        public let peer: PeerID
        public let router: GossipRouter
        public var behaviour: Behaviour
        public var running = true
        let ip: String
    }

    public private(set) var nodes: [Node] = []
    private var index: [PeerID: Int] = [:]
    private var views: [[Int]]
    private var queue = EventQueue()
    private var random: SplitMix64
    public private(set) var now: UInt64 = 0
    public var loss = 0.0
    /// Encode, sign and decode every RPC (slower; on for tests, off for 10,000 nodes).
    public let wire: Bool
    public private(set) var datagramsSent = 0
    public private(set) var datagramsLost = 0
    /// Valid announcements accepted per node: (message, node) → virtual time.
    public private(set) var deliveries: [MessageID: [Int: UInt64]] = [:]
    private var nextSequence: [Int: UInt64] = [:]

    /// `view`: peers each node knows (nil: everyone, as in a gateway below `maximumPeers`).
    public init(nodes count: Int, seed: UInt64, settings: GossipSettings = GossipSettings(), view: Int? = nil, wire: Bool = true,
                behaviours: [Int: Behaviour] = [:]) throws {
        random = SplitMix64(seed: seed)
        self.wire = wire
        views = Array(repeating: [], count: count)
        for position in 0..<count {
            var seedBytes = [UInt8](repeating: 0, count: 32)
            withUnsafeBytes(of: (seed &+ UInt64(position)).littleEndian) { seedBytes.replaceSubrange(0..<8, with: $0) }
            withUnsafeBytes(of: UInt64(position).littleEndian) { seedBytes.replaceSubrange(8..<16, with: $0) }
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seedBytes)
            let peer = try PeerID(ed25519PublicKey: key.publicKey.rawRepresentation)
            let router = GossipRouter(me: peer, settings: settings, maximumPeers: view.map { 2 * $0 } ?? count, seed: seed ^ UInt64(position), now: 0)
            index[peer] = position
            nodes.append(Node(key: key, peer: peer, router: router, behaviour: behaviours[position] ?? .honest,
                              ip: "10.\(position / 65_536).\(position / 256 % 256).\(position % 256)"))
        }
        if let view, view < count - 1 {
            // Symmetric random views: each node links to view/2 random others, both ways.
            var links = Array(repeating: Set<Int>(), count: count)
            for a in 0..<count {
                var added = 0
                while added < view / 2 {
                    let b = Int(random.next() % UInt64(count))
                    guard b != a, links[a].insert(b).inserted else { continue }
                    links[b].insert(a)
                    added += 1
                }
            }
            views = links.map { $0.sorted() }
        } else {
            views = (0..<count).map { a in (0..<count).filter { $0 != a } }
        }
        for position in 0..<count { refreshPeers(position) }
        for position in 0..<count { schedule(.heartbeat(position), at: nodes[position].router.nextHeartbeat + UInt64(position % 50)) }
    }

    public func position(of peer: PeerID) -> Int? { index[peer] }
    public var honest: [Int] { nodes.indices.filter { nodes[$0].behaviour == .honest } }

    /// Takes `position` out of the network (its peers see it leave) or brings it back.
    public func setRunning(_ position: Int, _ running: Bool) {
        nodes[position].running = running
        for other in views[position] { refreshPeers(other) }
        refreshPeers(position)
    }

    private func refreshPeers(_ position: Int) {
        var live: [PeerID: String] = [:]
        for other in views[position] where nodes[other].running { live[nodes[other].peer] = nodes[other].ip }
        nodes[position].router.updatePeers(live, now: now)
    }

    /// `origin` signs and publishes an announcement of `cids` random CIDs; returns its id.
    @discardableResult
    public func publish(from origin: Int, cids: Int = 1) throws -> MessageID {
        let sequence = (nextSequence[origin] ?? 0) + 1
        nextSequence[origin] = sequence
        var added: [CID] = []
        for _ in 0..<cids {
            var bytes = [UInt8](repeating: 0, count: 32)
            for offset in stride(from: 0, to: 32, by: 8) {
                withUnsafeBytes(of: random.next()) { bytes.replaceSubrange(offset..<offset + 8, with: $0) }
            }
            added.append(CID.raw(sha256Of: bytes))
        }
        let announcement = try ProviderAnnouncement(origin: nodes[origin].key, sequence: sequence, issuedAt: now, added: added, removed: [])
        let id = MessageID(announcement)
        deliveries[id, default: [:]][origin] = now
        perform(nodes[origin].router.publish(announcement, now: now), by: origin)
        return id
    }

    /// Runs until `end` (virtual milliseconds).
    public func run(until end: UInt64) {
        while let event = queue.peek, event.at <= end {
            _ = queue.pop()
            now = max(now, event.at)
            switch event.kind {
            case .heartbeat(let position):
                guard nodes[position].running else {
                    schedule(.heartbeat(position), at: now + 200)
                    continue
                }
                let router = nodes[position].router
                perform(router.heartbeat(now: now), by: position)
                misbehave(position)
                schedule(.heartbeat(position), at: router.nextHeartbeat)
            case .datagram(let from, let to, let payload):
                deliver(payload, from: from, to: to)
            case .fetched(let from, let to, let announcement):
                guard nodes[to].running else { continue }
                perform(nodes[to].router.receive(fetched: announcement, from: nodes[from].peer, now: now), by: to)
            }
        }
        now = max(now, end)
    }

    // MARK: what nodes do

    private func perform(_ actions: [GossipAction], by position: Int) {
        let node = nodes[position]
        for action in actions {
            switch action {
            case .send(let peer, let rpc):
                guard node.behaviour != .silent, let target = index[peer] else { continue }
                send(rpc, from: position, to: target)
            case .validate(let announcement):
                let id = MessageID(announcement)
                let verdict: GossipVerdict
                if index[announcement.origin] == nil {
                    verdict = .ignore
                } else if !announcement.isAuthentic {
                    verdict = .reject
                } else {
                    verdict = announcement.origin == node.peer ? .ignore : .accept
                }
                if verdict == .accept, node.behaviour == .honest {
                    if deliveries[id]?[position] == nil { deliveries[id, default: [:]][position] = now }
                }
                perform(node.router.validated(id, verdict, now: now), by: position)
            case .fetch(let peer, let ids):
                // Over HTTPS in the gateway: not lost at random; one round trip (2–4 ms).
                guard let source = index[peer], nodes[source].behaviour == .honest else { continue }
                for id in ids {
                    guard let announcement = nodes[source].router.cachedAnnouncement(id) else { continue }
                    schedule(.fetched(from: source, to: position, announcement), at: now + 2 + random.next() % 3)
                }
            }
        }
    }

    private func misbehave(_ position: Int) {
        let node = nodes[position]
        switch node.behaviour {
        case .honest, .silent:
            return
        case .forger:
            guard let victim = honest.first, let forged = try? ProviderAnnouncement.forged(origin: nodes[victim].key, sequence: 1_000 + now) else { return }
            for other in views[position] { send(GossipRPC(messages: [forged]), from: position, to: other) }
        case .spammer:
            var haves: [GossipRPC.Have] = []
            for offset in 0..<20 {
                haves.append(GossipRPC.Have(id: MessageID(origin: nodes[views[position][0]].peer, sequence: 1_000_000 + now * 20 + UInt64(offset)), size: 200))
            }
            for other in views[position] { send(GossipRPC(ihave: haves, graft: true), from: position, to: other) }
        }
    }

    private func send(_ rpc: GossipRPC, from: Int, to: Int) {
        datagramsSent += 1
        let payload: Payload
        if wire {
            guard let bytes = try? MeshPacket(sender: nodes[from].peer, body: .pubsub(rpc)).encoded(signedWith: nodes[from].key) else { return }
            payload = .bytes(bytes)
        } else {
            payload = .rpc(rpc)
        }
        if loss > 0, Double(random.next() % 1_000_000) / 1_000_000 < loss {
            datagramsLost += 1
            return
        }
        schedule(.datagram(from: from, to: to, payload), at: now + 1 + random.next() % 2)
    }

    private func deliver(_ payload: Payload, from: Int, to: Int) {
        guard nodes[to].running, nodes[to].behaviour != .silent else { return }
        let rpc: GossipRPC
        switch payload {
        case .rpc(let value):
            rpc = value
        case .bytes(let bytes):
            guard let packet = try? MeshPacket.decode(bytes), case .pubsub(let decoded) = packet.body, packet.sender == nodes[from].peer else { return }
            rpc = decoded
        }
        perform(nodes[to].router.receive(rpc, from: nodes[from].peer, now: now), by: to)
    }

    private func schedule(_ kind: Event.Kind, at time: UInt64) { queue.push(Event(at: time, kind: kind)) }

    // MARK: results

    /// For one announcement: the delay until each honest running node had it (nil: never).
    public func deliveryDelays(_ id: MessageID, since start: UInt64) -> [UInt64?] {
        honest.filter { nodes[$0].running }.map { position in deliveries[id]?[position].map { $0 - start } }
    }

    /// Payload sends (full announcements) across all nodes so far.
    public var payloadSends: Int { nodes.reduce(0) { $0 + $1.router.stats.payloadSends } }
    public var ihaveSends: Int { nodes.reduce(0) { $0 + $1.router.stats.ihaveSends } }
}

extension ProviderAnnouncement {
    /// An announcement in `origin`'s name whose signature does not hold (signed, then given
    /// another sequence number): what a forger or a replayer with a changed sequence sends.
    static func forged(origin: Curve25519.Signing.PrivateKey, sequence: UInt64) throws -> ProviderAnnouncement {
        let real = try ProviderAnnouncement(origin: origin, sequence: sequence, issuedAt: 0, added: [], removed: [])
        var bytes = real.encoded
        // The sequence sits after length (4), version (1) and origin key (32).
        bytes[4 + 1 + 32 + 7] ^= 0x01
        return try ProviderAnnouncement.decode(bytes)
    }
}

private enum Payload {
    case rpc(GossipRPC)
    case bytes([UInt8])
}

private struct Event {
    enum Kind {
        case heartbeat(Int)
        case datagram(from: Int, to: Int, Payload)
        case fetched(from: Int, to: Int, ProviderAnnouncement)
    }
    let at: UInt64
    var order = 0
    let kind: Kind
}

/// A binary min-heap of events by (time, insertion order): deterministic and O(log n).
private struct EventQueue {
    private var heap: [Event] = []
    private var counter = 0

    var peek: Event? { heap.first }

    mutating func push(_ event: Event) {
        var event = event
        counter += 1
        event.order = counter
        heap.append(event)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Event? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, Self.less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.less(heap[right], heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    private static func less(_ a: Event, _ b: Event) -> Bool { (a.at, a.order) < (b.at, b.order) }
}
