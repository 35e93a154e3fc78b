import PakitCore

/// What the router asks its shell to do.
public enum GossipAction: Sendable, Equatable {
    /// Send this RPC to the peer (in one signed datagram: the router keeps it under its budget).
    case send(PeerID, GossipRPC)
    /// Check this announcement (the origin is a member, the signature holds, it is not a
    /// replay) and report with `validated`.
    case validate(ProviderAnnouncement)
    /// Pull these announcements from that peer over HTTPS (too large for a datagram), then
    /// hand each to `receive(fetched:from:now:)`.
    case fetch(PeerID, [MessageID])
}

/// What validation found.
public enum GossipVerdict: Sendable, Equatable {
    /// Valid and new: stored, forwarded, credited to whoever delivered it first.
    case accept
    /// Forged or malformed: dropped and counted against every peer that delivered it (P4).
    case reject
    /// Not wrong, not wanted (an origin this node does not know yet, something already held):
    /// dropped without penalty.
    case ignore
}

/// Counters for the health endpoint and the benchmark.
public struct GossipStats: Sendable, Equatable {
    /// Announcements sent in full to a peer (forwarded, published or answering IWANT).
    public var payloadSends = 0
    public var ihaveSends = 0
    public var accepted = 0
    public var rejected = 0
    public var duplicates = 0
    /// RPCs ignored: from a peer that is not a member, or below the graylist threshold.
    public var ignoredRPCs = 0
    public var brokenPromises = 0
}

/// The gossipsub v1.1 router for provider announcements, as a deterministic state machine:
/// the shell feeds it RPCs, validation results, membership and the time (virtual in tests,
/// real in the gateway) and carries out the `GossipAction`s it returns.
///
/// One topic: every member subscribes. Peers are live members (a stable random subset of at
/// most `maximumPeers` of them, gossipsub's connected peers); the mesh is kept between `dLow`
/// and `dHigh` by GRAFT and PRUNE at each heartbeat, with `dOut` peers of this node's own
/// choosing; full announcements travel along the mesh, ids of recent ones go to `dLazy`
/// others (IHAVE) who ask for what they miss (IWANT). Own announcements are flood-published to
/// every peer above the publish threshold. Message ids are deduplicated before validation (the
/// signature check costs ~80 µs), and peers are scored so that spammers, forgers, liars and
/// black holes lose their place in the mesh, then their gossip, then every hearing.
public final class GossipRouter {
    public let settings: GossipSettings
    public let me: PeerID
    public let maximumPeers: Int
    public private(set) var stats = GossipStats()
    public private(set) var nextHeartbeat: UInt64

    private var random: SplitMix64
    private var peers: [PeerID: PeerState] = [:]
    /// Every peer's counters, connected or retained after it left.
    private var counters: [PeerID: ScoreCounters] = [:]
    private var colocated: [String: Int] = [:]
    private(set) var mesh: Set<PeerID> = []
    /// Mesh peers this node grafted (as opposed to peers that grafted themselves onto it).
    private var outbound: Set<PeerID> = []
    /// Peers that must not be grafted (nor graft) until the time given.
    private var backoff: [PeerID: UInt64] = [:]
    private var seen: [MessageID: Seen] = [:]
    private var seenOrder: [(id: MessageID, at: UInt64)] = []
    private var seenOrderStart = 0
    /// Recent announcements, newest heartbeat first, served to IWANT.
    private var history: [[MessageID]] = [[]]
    private var cache: [MessageID: ProviderAnnouncement] = [:]
    private var promises: [MessageID: (peer: PeerID, deadline: UInt64)] = [:]
    /// Messages received this node did not publish (decays like mesh deliveries): sets P3's
    /// threshold in a quiet topic.
    private var topicDeliveries = 0.0
    private var heartbeats = 0
    private var nextDecay: UInt64

    public init(me: PeerID, settings: GossipSettings = GossipSettings(), maximumPeers: Int = 128, seed: UInt64, now: UInt64) {
        self.me = me
        self.settings = settings
        self.maximumPeers = maximumPeers
        random = SplitMix64(seed: seed)
        nextHeartbeat = now + settings.heartbeatInterval
        nextDecay = now + settings.score.decayInterval
    }

    // MARK: views

    public var meshPeers: [PeerID] { mesh.sorted() }
    /// Mesh peers this node grafted itself.
    public var outboundMeshCount: Int { mesh.count { outbound.contains($0) } }
    public var peerCount: Int { peers.count }
    public func knows(_ peer: PeerID) -> Bool { peers[peer] != nil }

    /// A recent announcement this node holds (what it answers IWANT with).
    public func cachedAnnouncement(_ id: MessageID) -> ProviderAnnouncement? { cache[id] }

    /// A peer's score now (zero for one never heard of).
    public func score(of peer: PeerID, now: UInt64) -> Double {
        guard let counters = counters[peer] else { return 0 }
        return counters.score(now: now, colocated: colocated[counters.ip] ?? 0, threshold: meshDeliveryThreshold, settings.score)
    }

    /// Connected peers now below the graylist threshold.
    public func graylistedPeers(now: UInt64) -> Int { peers.keys.count { score(of: $0, now: now) < settings.score.graylistThreshold } }

    public func isGraylisted(_ peer: PeerID, now: UInt64) -> Bool { score(of: peer, now: now) < settings.score.graylistThreshold }

    private var meshDeliveryThreshold: Double {
        guard topicDeliveries >= settings.score.meshDeliveryMinimumMessages else { return 0 }
        return min(settings.score.meshDeliveryThreshold, settings.score.meshDeliveryFraction * topicDeliveries)
    }

    // MARK: membership

    /// The live members (peer and IP). Peers that went are dropped from the mesh and their
    /// counters kept for `retainScore`; new ones join the peer set while it has room.
    public func updatePeers(_ live: [PeerID: String], now: UInt64) {
        for peer in peers.keys.sorted() where live[peer] == nil {
            peers[peer] = nil
            leaveMesh(peer, now: now)
            outbound.remove(peer)
            counters[peer]?.retainUntil = now + settings.score.retainScore
        }
        var room = maximumPeers - peers.count
        if room > 0 {
            var newcomers = live.keys.filter { peers[$0] == nil && $0 != me }.sorted()
            newcomers.shuffle(using: &random)
            for peer in newcomers.prefix(room) {
                let ip = live[peer] ?? ""
                peers[peer] = PeerState()
                if counters[peer] == nil { counters[peer] = ScoreCounters(ip: ip) }
                counters[peer]?.ip = ip
                counters[peer]?.retainUntil = nil
                room -= 1
            }
        }
        colocated = [:]
        for peer in peers.keys { colocated[counters[peer]?.ip ?? "", default: 0] += 1 }
    }

    // MARK: publishing

    /// This node's own announcement: remembered as seen and sent to every peer above the
    /// publish threshold (in full when it fits a datagram, else as IHAVE).
    public func publish(_ announcement: ProviderAnnouncement, now: UInt64) -> [GossipAction] {
        let id = MessageID(announcement)
        guard seen[id] == nil else { return [] }
        markSeen(id, now: now, state: .accepted, from: nil)
        remember(announcement)
        var outbox = Outbox()
        for peer in peers.keys.sorted() where score(of: peer, now: now) >= settings.score.publishThreshold {
            offer(announcement, to: peer, in: &outbox)
        }
        return flush(&outbox)
    }

    // MARK: receiving

    /// An RPC from `peer` (the packet's signature named it).
    public func receive(_ rpc: GossipRPC, from peer: PeerID, now: UInt64) -> [GossipAction] {
        guard peers[peer] != nil, !isGraylisted(peer, now: now) else {
            stats.ignoredRPCs += 1
            return []
        }
        var actions: [GossipAction] = []
        var outbox = Outbox()
        for message in rpc.messages { actions += deliver(message, from: peer, now: now) }
        if !rpc.ihave.isEmpty { actions += handleIHave(rpc.ihave, from: peer, now: now, outbox: &outbox) }
        if !rpc.iwant.isEmpty { handleIWant(rpc.iwant, from: peer, now: now, outbox: &outbox) }
        if rpc.graft { handleGraft(from: peer, now: now, outbox: &outbox) }
        if let seconds = rpc.prune { handlePrune(from: peer, seconds: seconds, now: now) }
        return actions + flush(&outbox)
    }

    /// An announcement pulled over HTTPS after a `fetch`.
    public func receive(fetched announcement: ProviderAnnouncement, from peer: PeerID, now: UInt64) -> [GossipAction] {
        guard peers[peer] != nil, !isGraylisted(peer, now: now) else {
            stats.ignoredRPCs += 1
            return []
        }
        return deliver(announcement, from: peer, now: now)
    }

    private func deliver(_ announcement: ProviderAnnouncement, from peer: PeerID, now: UInt64) -> [GossipAction] {
        let id = MessageID(announcement)
        promises[id] = nil
        // One in this node's own name that it does not remember publishing is validated too
        // (a forgery is rejected and charged; an old one of its own is ignored by the shell).
        guard var entry = seen[id] else {
            markSeen(id, now: now, state: .validating(announcement), from: peer)
            return [.validate(announcement)]
        }
        stats.duplicates += 1
        guard entry.deliveredBy.insert(peer).inserted else { return [] }
        switch entry.state {
        case .validating:
            break  // credited (or charged) when the verdict comes
        case .accepted:
            if mesh.contains(peer), now - entry.firstAt <= settings.score.meshDeliveryWindow { creditMeshDelivery(peer) }
        case .rejected:
            counters[peer]?.invalidMessages += 1
        case .ignored:
            break
        }
        seen[id] = entry
        return []
    }

    /// The shell's verdict on an announcement it was asked to validate.
    public func validated(_ id: MessageID, _ verdict: GossipVerdict, now: UInt64) -> [GossipAction] {
        guard var entry = seen[id], case .validating(let announcement) = entry.state else { return [] }
        var outbox = Outbox()
        switch verdict {
        case .accept:
            entry.state = .accepted
            stats.accepted += 1
            topicDeliveries += 1
            if let first = entry.firstFrom, var counter = counters[first] {
                counter.firstDeliveries = min(counter.firstDeliveries + 1, settings.score.firstDeliveryCap)
                counters[first] = counter
            }
            for peer in entry.deliveredBy.sorted() where mesh.contains(peer) { creditMeshDelivery(peer) }
            remember(announcement)
            for peer in mesh.sorted() where !entry.deliveredBy.contains(peer) && peer != announcement.origin {
                offer(announcement, to: peer, in: &outbox)
            }
        case .reject:
            entry.state = .rejected
            stats.rejected += 1
            for peer in entry.deliveredBy.sorted() { counters[peer]?.invalidMessages += 1 }
        case .ignore:
            entry.state = .ignored
        }
        seen[id] = entry
        return flush(&outbox)
    }

    /// The application's judgement of a peer (P5): negative when content it announced failed
    /// verification.
    public func knowsPeer(_ peer: PeerID) -> Bool { counters[peer] != nil }

    public func adjustApplicationScore(of peer: PeerID, by amount: Double) {
        counters[peer]?.application += amount
    }

    private func creditMeshDelivery(_ peer: PeerID) {
        guard var counter = counters[peer] else { return }
        counter.meshDeliveries = min(counter.meshDeliveries + 1, settings.score.meshDeliveryCap)
        counters[peer] = counter
    }

    // MARK: control

    private func handleIHave(_ haves: [GossipRPC.Have], from peer: PeerID, now: UInt64, outbox: inout Outbox) -> [GossipAction] {
        guard score(of: peer, now: now) >= settings.score.gossipThreshold, var state = peers[peer] else { return [] }
        state.ihaveReceived += 1
        defer { peers[peer] = state }
        guard state.ihaveReceived <= settings.maxIHaveMessages, state.idsAsked < settings.maxIHaveLength else { return [] }
        var wanted: [GossipRPC.Have] = []
        var named = Set<MessageID>()
        var claimsInMyName = false
        for have in haves where seen[have.id] == nil && named.insert(have.id).inserted {
            if have.id.origin == me { claimsInMyName = true } else { wanted.append(have) }
        }
        // Advertising an announcement of this node's that it never made is a lie (P7).
        if claimsInMyName { counters[peer]?.behaviourPenalty += 1 }
        wanted.shuffle(using: &random)
        wanted = Array(wanted.prefix(settings.maxIHaveLength - state.idsAsked))
        guard !wanted.isEmpty else { return [] }
        state.idsAsked += wanted.count
        // Track one of the ids asked for: a peer that advertises and does not deliver is penalised (P7).
        if let tracked = wanted.randomElement(using: &random), promises[tracked.id] == nil {
            promises[tracked.id] = (peer, now + settings.iwantFollowupTime)
        }
        let small = wanted.filter { Int($0.size) <= settings.eagerPayloadLimit }.map(\.id)
        let large = wanted.filter { Int($0.size) > settings.eagerPayloadLimit }.map(\.id)
        outbox[peer].iwant += small
        return large.isEmpty ? [] : [.fetch(peer, large)]
    }

    private func handleIWant(_ ids: [MessageID], from peer: PeerID, now: UInt64, outbox: inout Outbox) {
        guard score(of: peer, now: now) >= settings.score.gossipThreshold, var state = peers[peer] else { return }
        for id in ids {
            guard let announcement = cache[id], announcement.encodedSize <= settings.eagerPayloadLimit else { continue }
            let answered = state.iwantAnswered[id, default: 0]
            guard answered < settings.maxIWantAnswers else { continue }
            state.iwantAnswered[id] = answered + 1
            outbox[peer].messages.append(announcement)
        }
        peers[peer] = state
    }

    private func handleGraft(from peer: PeerID, now: UInt64, outbox: inout Outbox) {
        guard !mesh.contains(peer) else { return }
        if let until = backoff[peer], now < until {
            // Grafting during a backoff is misbehaviour; right after the prune, doubly so.
            counters[peer]?.behaviourPenalty += 1
            if now + settings.pruneBackoff < until + settings.graftFloodThreshold { counters[peer]?.behaviourPenalty += 1 }
            prune(peer, now: now, outbox: &outbox)
            return
        }
        guard score(of: peer, now: now) >= 0, mesh.count < settings.dHigh else {
            prune(peer, now: now, outbox: &outbox)
            return
        }
        joinMesh(peer, now: now, outbound: false)
    }

    private func handlePrune(from peer: PeerID, seconds: UInt16, now: UInt64) {
        leaveMesh(peer, now: now)
        let asked = min(UInt64(seconds) * 1_000, 3_600_000)
        backoff[peer] = max(backoff[peer] ?? 0, now + max(asked, settings.pruneBackoff))
    }

    private func joinMesh(_ peer: PeerID, now: UInt64, outbound isOutbound: Bool) {
        mesh.insert(peer)
        if isOutbound { outbound.insert(peer) } else { outbound.remove(peer) }
        counters[peer]?.meshSince = now
    }

    /// Out of the mesh; a delivery deficit it had sticks as P3b.
    private func leaveMesh(_ peer: PeerID, now: UInt64) {
        guard mesh.remove(peer) != nil else { return }
        outbound.remove(peer)
        guard var counter = counters[peer] else { return }
        let deficit = counter.meshDeficit(now: now, threshold: meshDeliveryThreshold, settings.score)
        counter.meshFailurePenalty += deficit * deficit
        counter.meshSince = nil
        counters[peer] = counter
    }

    private func prune(_ peer: PeerID, now: UInt64, outbox: inout Outbox) {
        leaveMesh(peer, now: now)
        backoff[peer] = now + settings.pruneBackoff
        outbox[peer].prune = UInt16(min(settings.pruneBackoff / 1_000, UInt64(UInt16.max)))
    }

    // MARK: heartbeat

    /// Mesh maintenance, gossip, decay and expiry; due at `nextHeartbeat`.
    public func heartbeat(now: UInt64) -> [GossipAction] {
        guard now >= nextHeartbeat else { return [] }
        nextHeartbeat = now + settings.heartbeatInterval
        heartbeats += 1
        var outbox = Outbox()
        for peer in peers.keys { peers[peer]?.resetHeartbeat() }
        expirePromises(now: now)
        decay(now: now)
        expireSeen(now: now)
        for (peer, until) in backoff where until <= now { backoff[peer] = nil }
        maintainMesh(now: now, outbox: &outbox)
        emitGossip(now: now, outbox: &outbox)
        shiftHistory()
        return flush(&outbox)
    }

    private func maintainMesh(now: UInt64, outbox: inout Outbox) {
        var scores: [PeerID: Double] = [:]
        for peer in peers.keys { scores[peer] = score(of: peer, now: now) }
        for peer in mesh.sorted() where (scores[peer] ?? 0) < 0 || peers[peer] == nil { prune(peer, now: now, outbox: &outbox) }

        func candidates(_ predicate: (PeerID) -> Bool) -> [PeerID] {
            var list = peers.keys.filter { !mesh.contains($0) && backoff[$0] == nil && (scores[$0] ?? 0) >= 0 && predicate($0) }.sorted()
            list.shuffle(using: &random)
            return list
        }
        func graft(_ chosen: some Sequence<PeerID>) {
            for peer in chosen {
                joinMesh(peer, now: now, outbound: true)
                outbox[peer].graft = true
            }
        }

        if mesh.count < settings.dLow {
            graft(candidates { _ in true }.prefix(settings.d - mesh.count))
        }
        if mesh.count > settings.dHigh {
            // Keep the dScore best, then random others up to d, with at least dOut outbound.
            var ranked = mesh.sorted().shuffled(using: &random)
            ranked.sort { (scores[$0] ?? 0) > (scores[$1] ?? 0) }
            var keep = Array(ranked.prefix(settings.dScore))
            var rest = Array(ranked.dropFirst(settings.dScore)).shuffled(using: &random)
            keep += rest.prefix(settings.d - keep.count)
            rest = Array(rest.dropFirst(settings.d - settings.dScore))
            var outboundKept = keep.count { outbound.contains($0) }
            if outboundKept < settings.dOut {
                for peer in rest where outbound.contains(peer) && outboundKept < settings.dOut {
                    if let swap = keep.lastIndex(where: { !outbound.contains($0) }) {
                        rest.append(keep[swap])
                        keep[swap] = peer
                        rest.removeAll { $0 == peer }
                        outboundKept += 1
                    }
                }
            }
            for peer in rest { prune(peer, now: now, outbox: &outbox) }
        }
        if mesh.count >= settings.dLow {
            let outboundCount = mesh.count { outbound.contains($0) }
            if outboundCount < settings.dOut { graft(candidates { _ in true }.prefix(settings.dOut - outboundCount)) }
        }
        if settings.opportunisticGraftTicks > 0, heartbeats % settings.opportunisticGraftTicks == 0, mesh.count > 1 {
            let meshScores = mesh.map { scores[$0] ?? 0 }.sorted()
            let median = meshScores[meshScores.count / 2]
            if median < settings.score.opportunisticGraftThreshold {
                graft(candidates { (scores[$0] ?? 0) > median }.prefix(settings.opportunisticGraftPeers))
            }
        }
    }

    private func emitGossip(now: UInt64, outbox: inout Outbox) {
        let ids = history.prefix(settings.historyGossip).flatMap { $0 }
        guard !ids.isEmpty else { return }
        var targets = peers.keys.filter { !mesh.contains($0) && score(of: $0, now: now) >= settings.score.gossipThreshold }.sorted()
        targets.shuffle(using: &random)
        let count = max(settings.dLazy, Int(settings.gossipFactor * Double(targets.count)))
        let haves = ids.prefix(settings.maxIHaveLength).compactMap { id in cache[id].map { GossipRPC.Have(id: id, size: UInt32($0.encodedSize)) } }
        for peer in targets.prefix(count) {
            let offered = haves.filter { $0.id.origin != peer }
            guard !offered.isEmpty else { continue }
            outbox[peer].ihave += offered
            stats.ihaveSends += 1
        }
    }

    private func shiftHistory() {
        history.insert([], at: 0)
        while history.count > settings.historyLength {
            for id in history.removeLast() {
                cache[id] = nil
                for peer in peers.keys where peers[peer]?.iwantAnswered[id] != nil { peers[peer]?.iwantAnswered[id] = nil }
            }
        }
    }

    private func expirePromises(now: UInt64) {
        for (id, promise) in promises where promise.deadline <= now {
            promises[id] = nil
            counters[promise.peer]?.behaviourPenalty += 1
            stats.brokenPromises += 1
        }
    }

    private func decay(now: UInt64) {
        while nextDecay <= now {
            nextDecay += settings.score.decayInterval
            for peer in counters.keys { counters[peer]?.decay(settings.score) }
            topicDeliveries *= settings.score.meshDeliveryDecay
            for (peer, counter) in counters where counter.retainUntil.map({ $0 <= now }) ?? false { counters[peer] = nil }
        }
    }

    private func expireSeen(now: UInt64) {
        while seenOrderStart < seenOrder.count, now - seenOrder[seenOrderStart].at >= settings.seenTTL {
            let id = seenOrder[seenOrderStart].id
            if case .validating = seen[id]?.state {} else { seen[id] = nil }
            seenOrderStart += 1
        }
        if seenOrderStart > 4_096, seenOrderStart * 2 > seenOrder.count {
            seenOrder.removeFirst(seenOrderStart)
            seenOrderStart = 0
        }
    }

    private func markSeen(_ id: MessageID, now: UInt64, state: Seen.State, from peer: PeerID?) {
        seen[id] = Seen(firstAt: now, firstFrom: peer, state: state, deliveredBy: peer.map { [$0] } ?? [])
        seenOrder.append((id, now))
    }

    private func remember(_ announcement: ProviderAnnouncement) {
        let id = MessageID(announcement)
        cache[id] = announcement
        history[0].append(id)
    }

    // MARK: sending

    private func offer(_ announcement: ProviderAnnouncement, to peer: PeerID, in outbox: inout Outbox) {
        if announcement.encodedSize <= settings.eagerPayloadLimit {
            outbox[peer].messages.append(announcement)
        } else {
            outbox[peer].ihave.append(GossipRPC.Have(id: MessageID(announcement), size: UInt32(announcement.encodedSize)))
            stats.ihaveSends += 1
        }
    }

    /// Splits each peer's pending RPC into datagram-sized ones, in peer order.
    private func flush(_ outbox: inout Outbox) -> [GossipAction] {
        var actions: [GossipAction] = []
        let budget = settings.packetBudget - MeshPacket.headerSize - MeshPacket.signatureSize - GossipRPC.emptySize
        for peer in outbox.pending.keys.sorted() {
            guard let rpc = outbox.pending[peer], !rpc.isEmpty else { continue }
            var current = GossipRPC(graft: rpc.graft, prune: rpc.prune)
            var used = 0
            func emit() {
                guard !current.isEmpty else { return }
                stats.payloadSends += current.messages.count
                actions.append(.send(peer, current))
                current = GossipRPC()
                used = 0
            }
            for message in rpc.messages {
                if used + message.encodedSize > budget { emit() }
                current.messages.append(message)
                used += message.encodedSize
            }
            for have in rpc.ihave {
                if used + GossipRPC.haveSize > budget { emit() }
                current.ihave.append(have)
                used += GossipRPC.haveSize
            }
            for id in rpc.iwant {
                if used + GossipRPC.wantSize > budget { emit() }
                current.iwant.append(id)
                used += GossipRPC.wantSize
            }
            emit()
        }
        outbox.pending = [:]
        return actions
    }
}

private struct Outbox {
    var pending: [PeerID: GossipRPC] = [:]
    subscript(peer: PeerID) -> GossipRPC {
        get { pending[peer] ?? GossipRPC() }
        set { pending[peer] = newValue }
    }
}

private struct PeerState {
    var ihaveReceived = 0
    var idsAsked = 0
    var iwantAnswered: [MessageID: Int] = [:]

    mutating func resetHeartbeat() {
        ihaveReceived = 0
        idsAsked = 0
    }
}

private struct Seen {
    enum State {
        case validating(ProviderAnnouncement)
        case accepted, rejected, ignored
    }
    let firstAt: UInt64
    let firstFrom: PeerID?
    var state: State
    var deliveredBy: Set<PeerID>
}
