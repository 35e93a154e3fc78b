import Crypto
import Foundation
import PakitCore

/// What the membership believes about a member.
public enum MemberStatus: String, Sendable, Codable {
    case alive, suspect, dead, left

    /// Alive or suspect: probed, gossiped to, answered as a provider.
    public var isLive: Bool { self == .alive || self == .suspect }
}

/// One member as the membership sees it.
public struct MemberView: Sendable, Equatable {
    public let record: PeerRecord
    public let status: MemberStatus
    /// The incarnation the status is about (a suspicion or death names one).
    public let incarnation: UInt64
    /// Milliseconds (membership clock) when the status last changed.
    public let since: UInt64
}

/// A packet the shell must sign and send.
public struct OutgoingPacket: Sendable, Equatable {
    public let address: MeshAddress
    public let body: MeshPacket.Body
}

/// A change the shell may log, count or act on.
public enum MembershipEvent: Sendable, Equatable {
    case statusChanged(PeerID, MemberStatus)
    /// This node said it is alive at a higher incarnation (it had been suspected or declared dead).
    case refuted(incarnation: UInt64)
}

/// SWIM membership with Lifeguard, as a state machine: no sockets, no clocks, no threads. A
/// shell feeds it received packets and the time (milliseconds of a monotonic clock) and sends
/// what it returns; tests drive it with a virtual clock and a lossy in-memory network, the
/// gateway with UDP. (The Instance/Shell split of swift-cluster-membership.)
///
/// - **Probing.** One member per probe interval, in a shuffled round-robin order: `ping`; no
///   ack within the timeout → `pingRequest` to `indirectChecks` others, who answer `ack` or
///   `nack`; no ack by the end of the interval → this node signs "suspect".
/// - **Lifeguard.** A local health multiplier (0…max−1) stretches this node's probe interval
///   and timeout: it grows when this node had to refute or its indirect probes brought no nacks
///   (it may be the slow one), shrinks with every successful probe. A suspicion's timeout starts
///   at its maximum and shrinks towards the minimum as independent accusers confirm it.
/// - **Signed state.** An `alive` is the subject's own signed record; `suspect` and `dead` are
///   statements signed by their accuser, accepted only from current members; only a node can
///   refute for itself (a higher incarnation, signed by its key). Updates are verified once:
///   their digests are remembered, so a repeat costs a hash, not a signature check.
/// - **Dissemination.** News is piggybacked on probes and sent in gossip rounds, each update
///   `retransmitMultiplier · ⌈log10(N + 1)⌉` times; statements about a probe's target ride on
///   that probe so the target can refute at once. Dead members keep getting gossip for a while
///   and one of them is probed every `reprobeInterval`, so a healed partition merges again.
public final class SWIMMembership {
    public let settings: SWIMSettings
    public let me: PeerID
    private let key: Curve25519.Signing.PrivateKey
    public private(set) var record: SignedPeerRecord

    private var members: [PeerID: Member] = [:]
    private var random: SplitMix64
    private var sequence: UInt32 = 0
    /// Lifeguard's local health multiplier, 0…awarenessMaximum − 1.
    public private(set) var awareness = 0

    private var probe: Probe?
    private var probeOrder: [PeerID] = []
    private var suspectTurn = false
    private var nextProbeAt: UInt64
    private var nextGossipAt: UInt64
    private var nextReprobeAt: UInt64
    private var nextPushPullAt: UInt64
    /// Probes we run for others: our sequence → who asked.
    private var relayed: [UInt32: RelayedProbe] = [:]
    private var broadcasts: [Broadcast] = []
    private var verified = DigestCache(capacity: 8_192)
    private var pendingEvents: [MembershipEvent] = [] { didSet { version &+= 1 } }
    /// Changes whenever a member's status changes (and at a few other events): lets observers
    /// skip rebuilding views of an unchanged membership.
    public private(set) var version = 0

    /// Counters for `/health` and `/metrics`.
    public private(set) var invalidUpdates = 0
    public private(set) var ignoredPackets = 0
    public private(set) var refutations = 0
    /// Members this node has recorded as dead (its own verdicts and others' it accepted).
    public private(set) var deathsRecorded = 0

    public init(key: Curve25519.Signing.PrivateKey, record: PeerRecord, settings: SWIMSettings = SWIMSettings(), seed: UInt64, now: UInt64) throws {
        self.key = key
        self.settings = settings
        self.me = record.peer
        self.record = try SignedPeerRecord(signing: record, with: key)
        self.random = SplitMix64(seed: seed)
        nextProbeAt = now + settings.probeInterval
        nextGossipAt = now + settings.gossipInterval
        nextReprobeAt = now + settings.reprobeInterval
        nextPushPullAt = now + settings.pushPullInterval
        // A node gossips its own record too, so a joiner is known quickly, not only through the
        // member it joined by.
        broadcasts.append(Broadcast(update: .alive(self.record), transmits: 0))
    }

    // MARK: what the shell reads

    /// Every known member except this node, in peer ID order.
    public var memberViews: [MemberView] { sortedMembers.map(\.view) }

    public func member(_ peer: PeerID) -> MemberView? { members[peer]?.view }

    /// Live members and the host their mesh address names; unsorted.
    public var liveMemberHosts: [PeerID: String] {
        var hosts: [PeerID: String] = [:]
        for (peer, member) in members where member.status.isLive {
            hosts[peer] = member.record.record.meshAddress.host
        }
        return hosts
    }

    /// Members that count as live (alive or suspect), this node not included.
    public var liveMemberCount: Int { members.values.count { $0.status.isLive } }

    /// Updates waiting to be sent.
    public var broadcastQueueDepth: Int { broadcasts.count }

    /// The earliest time `tick` has something to do.
    public var nextDeadline: UInt64 {
        var deadline = min(nextProbeAt, nextGossipAt, nextReprobeAt, nextPushPullAt)
        if let probe { deadline = min(deadline, probe.indirectSent ? probe.endAt : probe.timeoutAt) }
        for relay in relayed.values { deadline = min(deadline, relay.deadline) }
        for member in members.values {
            if let suspicion = member.suspicion { deadline = min(deadline, suspicion.deadline) }
        }
        return deadline
    }

    /// Changes since the last call.
    public func drainEvents() -> [MembershipEvent] {
        defer { pendingEvents.removeAll() }
        return pendingEvents
    }

    /// The whole table for a state exchange: this node's record, every member's record and the
    /// statement behind every suspicion or death.
    public func stateUpdates() -> [MembershipUpdate] {
        var updates: [MembershipUpdate] = [.alive(record)]
        for member in sortedMembers {
            updates.append(.alive(member.record))
            if let statement = member.statement, member.status != .alive { updates.append(.statement(statement)) }
        }
        return updates
    }

    // MARK: inputs

    /// Runs the timers that are due: probe steps, suspicion timeouts, gossip, re-probes.
    public func tick(now: UInt64) -> [OutgoingPacket] {
        var out: [OutgoingPacket] = []
        expireSuspicions(now: now)
        runProbe(now: now, into: &out)
        expireRelays(now: now, into: &out)
        if now >= nextGossipAt {
            nextGossipAt = now + settings.gossipInterval
            gossip(now: now, into: &out)
        }
        if now >= nextPushPullAt {
            nextPushPullAt = now + pushPullInterval
            exchangeState(into: &out)
        }
        if now >= nextReprobeAt {
            nextReprobeAt = now + settings.reprobeInterval
            reprobeOneDead(into: &out)
            forgetOld(now: now)
        }
        return out
    }

    /// Handles a packet whose envelope signature the shell has checked; `source` is the UDP
    /// address it came from (answers go there).
    public func receive(_ packet: MeshPacket, from source: MeshAddress, now: UInt64) -> [OutgoingPacket] {
        guard packet.sender != me else {
            ignoredPackets += 1
            return []
        }
        var out: [OutgoingPacket] = []
        switch packet.body {
        case .ping(let sequence, let target, let updates):
            merge(updates, now: now)
            guard target == me else {
                ignoredPackets += 1  // meant for a node that used to be at this address
                return []
            }
            // The prober holds a suspicion or death of this node (it came with the ping): answer
            // with the current record, whose higher incarnation ends it, even after the
            // refutation's own gossip has run its course.
            let accused = updates.contains { if case .statement(let statement) = $0 { statement.subject == me && statement.kind != .left } else { false } }
            let answer = accused ? [.alive(record)] + piggyback(about: packet.sender).filter { $0.subject != me } : piggyback(about: packet.sender)
            out.append(OutgoingPacket(address: source, body: .ack(sequence: sequence, updates: answer)))
        case .ack(let sequence, let updates):
            merge(updates, now: now)
            if let current = probe, current.sequence == sequence,
               packet.sender == current.target || current.helpers.contains(packet.sender) {
                probe = nil
                awareness = max(0, awareness - 1)
            } else if let relay = relayed[sequence], packet.sender == relay.target {
                relayed[sequence] = nil
                // With the target's latest record: the requester may hold an old suspicion of it.
                let latest = members[relay.target].map { [MembershipUpdate.alive($0.record)] } ?? []
                out.append(OutgoingPacket(address: relay.requesterAddress,
                                          body: .ack(sequence: relay.requesterSequence, updates: latest + piggyback(about: relay.requester).filter { $0.subject != relay.target })))
            } else {
                ignoredPackets += 1
            }
        case .pingRequest(let sequence, let target, let updates):
            merge(updates, now: now)
            // Probe only members we know, at the address in their signed record: a request
            // cannot make this node send to an address of the requester's choosing.
            guard let member = members[target], member.status.isLive,
                  members[packet.sender] != nil else {
                ignoredPackets += 1
                return []
            }
            let ours = nextSequence()
            relayed[ours] = RelayedProbe(requester: packet.sender, requesterAddress: source, requesterSequence: sequence, target: target,
                                         deadline: now + settings.probeTimeout * UInt64(awareness + 1))
            out.append(OutgoingPacket(address: member.record.record.meshAddress,
                                      body: .ping(sequence: ours, target: target, updates: piggyback(about: target))))
        case .nack(let sequence):
            if var current = probe, current.sequence == sequence, current.helpers.contains(packet.sender) {
                current.nacks += 1
                probe = current
            } else {
                ignoredPackets += 1
            }
        case .gossip(let updates):
            merge(updates, now: now)
        case .state(let requestsReply, let updates):
            merge(updates, now: now)
            if requestsReply {
                out.append(OutgoingPacket(address: source, body: .state(requestsReply: false, updates: stateUpdates())))
            }
        case .pubsub:
            ignoredPackets += 1  // the gossip router's, not the membership's
        }
        return out
    }

    /// Right after joining: this node's record straight to up to `limit` random live members.
    /// Gossip alone leaves, now and then, a member that hears of the joiner only at the next
    /// state exchange (each member retransmits ~8 times: ~e⁻⁸ per member and join); one packet
    /// per member once makes that rare tail a lost datagram.
    public func announceSelf(limit: Int = 64) -> [OutgoingPacket] {
        randomMembers(limit, excluding: []) { $0.status.isLive }.map {
            OutgoingPacket(address: $0.record.record.meshAddress, body: .gossip(updates: [.alive(record)]))
        }
    }

    /// Applies a state exchange's table (join, periodic anti-entropy).
    public func mergeState(_ updates: [MembershipUpdate], now: UInt64) {
        merge(updates, now: now)
    }

    /// Says goodbye: a signed "left" sent to every live member; the shell stops afterwards.
    public func leave(now: UInt64) throws -> [OutgoingPacket] {
        let statement = try MembershipStatement(.left, about: me, incarnation: record.record.incarnation, signedBy: key)
        let update = MembershipUpdate.statement(statement)
        return sortedMembers.filter { $0.status.isLive }.map {
            OutgoingPacket(address: $0.record.record.meshAddress, body: .gossip(updates: [update]))
        }
    }

    // MARK: probing

    private func runProbe(now: UInt64, into out: inout [OutgoingPacket]) {
        if var current = probe {
            if !current.indirectSent, now >= current.timeoutAt {
                current.indirectSent = true
                let helpers = randomMembers(settings.indirectChecks, excluding: [current.target]) { $0.status == .alive }
                current.helpers = Set(helpers.map(\.record.record.peer))
                for helper in helpers {
                    out.append(OutgoingPacket(address: helper.record.record.meshAddress,
                                              body: .pingRequest(sequence: current.sequence, target: current.target, updates: piggyback(about: helper.record.record.peer))))
                }
                probe = current
            }
            if now >= current.endAt {
                probe = nil
                // Lifeguard: helpers that neither acked nor nacked suggest the problem is here.
                if current.nacks < current.helpers.count { raiseAwareness() }
                // A first accusation, or this node's independent confirmation of another's
                // (Lifeguard: confirmations shorten the suspicion towards its minimum).
                if let member = members[current.target],
                   member.status == .alive || (member.status == .suspect && member.suspicion?.accusers.contains(me) == false) {
                    accuse(current.target, incarnation: member.incarnation, now: now)
                }
            }
        }
        guard probe == nil, now >= nextProbeAt else { return }
        let multiplier = UInt64(awareness + 1)
        nextProbeAt = now + settings.probeInterval * multiplier
        guard let target = nextProbeTarget(), let member = members[target] else { return }
        let sequence = nextSequence()
        probe = Probe(target: target, sequence: sequence, timeoutAt: now + settings.probeTimeout * multiplier,
                      endAt: now + settings.probeInterval * multiplier)
        out.append(OutgoingPacket(address: member.record.record.meshAddress, body: .ping(sequence: sequence, target: target, updates: piggyback(about: target))))
    }

    private func nextProbeTarget() -> PeerID? {
        // Every other probe goes to a suspect while there is one: each probe gives it a chance
        // to answer with its refutation before the suspicion runs out, which round-robin alone
        // (one visit per N probe intervals) would not under heavy loss.
        suspectTurn.toggle()
        if suspectTurn, let suspect = randomMembers(1, excluding: [], where: { $0.status == .suspect }).first {
            return suspect.record.record.peer
        }
        for _ in 0..<2 {
            while let candidate = probeOrder.popLast() {
                if let member = members[candidate], member.status.isLive { return candidate }
            }
            probeOrder = members.values.filter { $0.status.isLive }.map(\.record.record.peer).sorted()
            probeOrder.shuffle(using: &random)
        }
        return nil
    }

    private func expireRelays(now: UInt64, into out: inout [OutgoingPacket]) {
        for (sequence, relay) in relayed.sorted(by: { $0.key < $1.key }) where now >= relay.deadline {
            relayed[sequence] = nil
            out.append(OutgoingPacket(address: relay.requesterAddress, body: .nack(sequence: relay.requesterSequence)))
        }
    }

    private func reprobeOneDead(into out: inout [OutgoingPacket]) {
        let dead = sortedMembers.filter { $0.status == .dead }
        guard !dead.isEmpty else { return }
        let member = dead[Int(random.next() % UInt64(dead.count))]
        // Carries the death statement: a live node refutes it in its ack's updates.
        out.append(OutgoingPacket(address: member.record.record.meshAddress,
                                  body: .ping(sequence: nextSequence(), target: member.record.record.peer, updates: piggyback(about: member.record.record.peer))))
    }

    /// memberlist's scaling: × (⌈log2 N − log2 32⌉ + 1) above 32 members.
    private var pushPullInterval: UInt64 {
        let population = Double(liveMemberCount + 1)
        guard population > 32 else { return settings.pushPullInterval }
        return settings.pushPullInterval * UInt64(ceil(log2(population) - log2(32)) + 1)
    }

    /// Anti-entropy with one random live member (a dead one when none is live, so a node cut
    /// off from everyone keeps trying); the shell carries `.state` over HTTPS.
    private func exchangeState(into out: inout [OutgoingPacket]) {
        var partners = randomMembers(1, excluding: []) { $0.status.isLive }
        if partners.isEmpty { partners = randomMembers(1, excluding: []) { $0.status == .dead } }
        for partner in partners {
            out.append(OutgoingPacket(address: partner.record.record.meshAddress, body: .state(requestsReply: true, updates: stateUpdates())))
        }
    }

    private func gossip(now: UInt64, into out: inout [OutgoingPacket]) {
        guard !broadcasts.isEmpty else { return }
        let targets = randomMembers(settings.gossipNodes, excluding: []) { member in
            member.status.isLive
                || (member.status == .dead && now - member.since < settings.gossipToTheDead)
        }
        for target in targets {
            let updates = piggyback(about: target.record.record.peer)
            guard !updates.isEmpty else { break }
            out.append(OutgoingPacket(address: target.record.record.meshAddress, body: .gossip(updates: updates)))
        }
    }

    // MARK: suspicion

    private func accuse(_ subject: PeerID, incarnation: UInt64, now: UInt64) {
        guard let statement = try? MembershipStatement(.suspect, about: subject, incarnation: incarnation, signedBy: key) else { return }
        apply(.statement(statement), now: now)
    }

    private func expireSuspicions(now: UInt64) {
        for member in sortedMembers {
            let peer = member.record.record.peer
            guard member.status == .suspect, let suspicion = member.suspicion, now >= suspicion.deadline else { continue }
            if let statement = try? MembershipStatement(.dead, about: peer, incarnation: member.incarnation, signedBy: key) {
                apply(.statement(statement), now: now)
            }
        }
    }

    private func suspicion(startedBy accuser: PeerID, now: UInt64) -> Suspicion {
        let population = Double(max(1, liveMemberCount + 1))
        let minimum = settings.suspicionMultiplier * max(1, log10(population)) * Double(settings.probeInterval)
        let maximum = settings.suspicionMaximumMultiplier * minimum
        let wanted = liveMemberCount - 1 < settings.suspicionConfirmations ? 0 : settings.suspicionConfirmations
        return Suspicion(start: now, minimum: minimum, maximum: maximum, wanted: wanted, accusers: [accuser])
    }

    private func raiseAwareness() {
        awareness = min(settings.awarenessMaximum - 1, awareness + 1)
    }

    // MARK: updates

    private func merge(_ updates: [MembershipUpdate], now: UInt64) {
        for update in updates {
            var writer = WireWriter(capacity: update.encodedSize)
            update.write(to: &writer)
            let digest = Array(SHA256.hash(data: writer.bytes))
            if !verified.contains(digest) {
                guard update.isAuthentic else {
                    invalidUpdates += 1
                    continue
                }
                verified.insert(digest)
            }
            apply(update, now: now)
        }
    }

    private func apply(_ update: MembershipUpdate, now: UInt64) {
        switch update {
        case .alive(let signed):
            applyAlive(signed, now: now)
        case .statement(let statement):
            applyStatement(statement, now: now)
        }
    }

    private func applyAlive(_ signed: SignedPeerRecord, now: UInt64) {
        let incoming = signed.record
        if incoming.peer == me {
            // Our own record from an earlier run (or replayed): outrank it.
            if incoming.incarnation > record.record.incarnation { refute(above: incoming.incarnation) }
            return
        }
        guard var member = members[incoming.peer] else {
            members[incoming.peer] = Member(record: signed, status: .alive, incarnation: incoming.incarnation, since: now)
            queue(.alive(signed))
            pendingEvents.append(.statusChanged(incoming.peer, .alive))
            return
        }
        guard incoming.incarnation > member.incarnation
                || (incoming.incarnation == member.incarnation && member.status == .alive && incoming.issuedAt > member.record.record.issuedAt)
        else { return }
        let wasAlive = member.status == .alive
        member.record = signed
        member.incarnation = incoming.incarnation
        if !wasAlive {
            member.status = .alive
            member.since = now
            member.suspicion = nil
            member.statement = nil
            pendingEvents.append(.statusChanged(incoming.peer, .alive))
        }
        members[incoming.peer] = member
        queue(.alive(signed))
    }

    private func applyStatement(_ statement: MembershipStatement, now: UInt64) {
        let subject = statement.subject
        if subject == me {
            // A "left" of this node that it did not just send is from an earlier run: a node
            // that is running outranks it like any accusation.
            if statement.incarnation >= record.record.incarnation { refute(above: statement.incarnation) }
            return
        }
        // Only current members (or this node, or the subject about its own leave) may accuse.
        if statement.kind != .left, statement.accuser != me {
            guard let accuser = members[statement.accuser], accuser.status.isLive else {
                ignoredPackets += 1
                return
            }
        }
        guard var member = members[subject], statement.incarnation >= member.incarnation else { return }
        switch statement.kind {
        case .suspect:
            if member.status == .dead || member.status == .left { return }
            if member.status == .alive || statement.incarnation > member.incarnation {
                member.status = .suspect
                member.incarnation = statement.incarnation
                member.since = now
                member.statement = statement
                member.suspicion = suspicion(startedBy: statement.accuser, now: now)
                members[subject] = member
                queue(.statement(statement))
                pendingEvents.append(.statusChanged(subject, .suspect))
                // Probe the suspect next: its answer carries its refutation if it is alive.
                probeOrder.append(subject)
            } else if var suspicion = member.suspicion, suspicion.accusers.insert(statement.accuser).inserted {
                member.suspicion = suspicion
                members[subject] = member
                queue(.statement(statement))  // pass the independent confirmation on
            }
        case .dead, .left:
            let status: MemberStatus = statement.kind == .dead ? .dead : .left
            if (member.status == .dead || member.status == .left), member.incarnation >= statement.incarnation { return }
            member.status = status
            member.incarnation = statement.incarnation
            member.since = now
            member.statement = statement
            member.suspicion = nil
            members[subject] = member
            queue(.statement(statement))
            pendingEvents.append(.statusChanged(subject, status))
            if status == .dead { deathsRecorded += 1 }
        }
    }

    /// Outranks a suspicion, death or stale record of this node: a new signed record at a
    /// higher incarnation, sent first.
    private func refute(above incarnation: UInt64) {
        var updated = record.record
        updated.incarnation = incarnation + 1
        guard let signed = try? SignedPeerRecord(signing: updated, with: key) else { return }
        record = signed
        refutations += 1
        raiseAwareness()
        queue(.alive(signed))
        pendingEvents.append(.refuted(incarnation: updated.incarnation))
    }

    private func forgetOld(now: UInt64) {
        for (peer, member) in members {
            let age = now - min(now, member.since)
            if (member.status == .left && age > settings.gossipToTheDead) || (member.status == .dead && age > settings.deadRetention) {
                members[peer] = nil
            }
        }
    }

    // MARK: dissemination

    private func queue(_ update: MembershipUpdate) {
        let subject = update.subject
        if case .statement(let statement) = update, statement.kind == .suspect {
            // Independent confirmations travel side by side; anything else about the subject replaces them.
            broadcasts.removeAll { existing in
                guard existing.update.subject == subject else { return false }
                if case .statement(let other) = existing.update, other.kind == .suspect, other.accuser != statement.accuser { return false }
                return true
            }
        } else {
            broadcasts.removeAll { $0.update.subject == subject }
        }
        broadcasts.append(Broadcast(update: update, transmits: 0))
    }

    /// Updates for one packet to `recipient`: first what is said about the recipient itself (so
    /// it can refute), then the least-sent news, within the packet budget.
    private func piggyback(about recipient: PeerID) -> [MembershipUpdate] {
        var budget = settings.packetBudget - MeshPacket.headerSize - MeshPacket.signatureSize - 48
        var chosen: [MembershipUpdate] = []
        if let statement = members[recipient]?.statement, members[recipient]?.status != .alive {
            let update = MembershipUpdate.statement(statement)
            chosen.append(update)
            budget -= update.encodedSize
        }
        let limit = settings.retransmitMultiplier * Int(ceil(log10(Double(liveMemberCount + 2))))
        broadcasts.sort { $0.transmits < $1.transmits }
        var index = 0
        while index < broadcasts.count, chosen.count < MeshPacket.maximumUpdatesPerDatagram {
            let size = broadcasts[index].update.encodedSize
            if size <= budget, !chosen.contains(broadcasts[index].update) {
                chosen.append(broadcasts[index].update)
                budget -= size
                broadcasts[index].transmits += 1
            }
            index += 1
        }
        broadcasts.removeAll { $0.transmits >= max(1, limit) }
        return chosen
    }

    private func randomMembers(_ count: Int, excluding: Set<PeerID>, where predicate: (Member) -> Bool) -> [Member] {
        var candidates = sortedMembers.filter { !excluding.contains($0.record.record.peer) && predicate($0) }
        candidates.shuffle(using: &random)
        return Array(candidates.prefix(count))
    }

    /// Members in peer ID order: iteration order decides which random draw goes where, and a
    /// dictionary's order differs from process to process; sorted, a seed gives one run.
    private var sortedMembers: [Member] {
        members.values.sorted { $0.record.record.peer < $1.record.record.peer }
    }

    private func nextSequence() -> UInt32 {
        sequence &+= 1
        return sequence
    }
}

// MARK: - state

private struct Member {
    var record: SignedPeerRecord
    var status: MemberStatus
    var incarnation: UInt64
    var since: UInt64
    /// The statement behind a suspect, dead or left status (sent to the subject and in state exchanges).
    var statement: MembershipStatement?
    var suspicion: Suspicion?

    init(record: SignedPeerRecord, status: MemberStatus, incarnation: UInt64, since: UInt64) {
        self.record = record
        self.status = status
        self.incarnation = incarnation
        self.since = since
    }

    var view: MemberView { MemberView(record: record.record, status: status, incarnation: incarnation, since: since) }
}

/// Lifeguard's dynamic suspicion: the timeout starts at `maximum` and shrinks logarithmically
/// towards `minimum` as independent accusers (beyond the first) confirm it.
struct Suspicion {
    let start: UInt64
    let minimum: Double
    let maximum: Double
    let wanted: Int
    var accusers: Set<PeerID>

    var confirmations: Int { accusers.count - 1 }

    var timeout: Double {
        guard wanted > 0 else { return minimum }
        let fraction = log(Double(confirmations + 1)) / log(Double(wanted + 1))
        return max(minimum, maximum - fraction * (maximum - minimum))
    }

    var deadline: UInt64 { start + UInt64(timeout.rounded(.up)) }
}

private struct Probe {
    let target: PeerID
    let sequence: UInt32
    let timeoutAt: UInt64
    let endAt: UInt64
    var indirectSent = false
    var helpers: Set<PeerID> = []
    var nacks = 0
}

private struct RelayedProbe {
    let requester: PeerID
    let requesterAddress: MeshAddress
    let requesterSequence: UInt32
    let target: PeerID
    let deadline: UInt64
}

private struct Broadcast {
    let update: MembershipUpdate
    var transmits: Int
}

/// Digests of updates already verified, oldest forgotten first.
private struct DigestCache {
    let capacity: Int
    private var set: Set<[UInt8]> = []
    private var order: [[UInt8]] = []
    private var head = 0

    init(capacity: Int) { self.capacity = capacity }

    func contains(_ digest: [UInt8]) -> Bool { set.contains(digest) }

    mutating func insert(_ digest: [UInt8]) {
        guard set.insert(digest).inserted else { return }
        if order.count < capacity {
            order.append(digest)
        } else {
            set.remove(order[head])
            order[head] = digest
            head = (head + 1) % capacity
        }
    }
}
