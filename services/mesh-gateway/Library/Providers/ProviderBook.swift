import Crypto
import Foundation
import Logging
import NIOCore
import PakitContracts
import PakitCore
import PakitHTTPClient

/// This node's side of "who has what": signs its own announcements (storage tells it what it
/// holds), spreads them and other origins' through the announcement mesh (`GossipRouter`:
/// gossipsub v1.1 over the mesh's UDP socket), validates what arrives, and repairs what gossip
/// missed with a digest exchange against a random member every state-exchange interval.
///
/// Only members may announce: an announcement from an origin this gateway does not know as a
/// member is dropped, so the index cannot be filled by strangers; a provider is answered only
/// while its node is alive or suspect.
actor ProviderBook {
    let index: ProviderIndex
    private let key: Curve25519.Signing.PrivateKey
    let me: PeerID
    private let runner: MembershipRunner
    private let client: PinnedPeerClient
    private let logger: Logger
    private let router: GossipRouter
    private let clock = MillisecondClock()
    /// Announcements being pulled over HTTPS (too large for a datagram), at most a few at once.
    private var fetching = 0

    init(index: ProviderIndex, key: Curve25519.Signing.PrivateKey, me: PeerID, runner: MembershipRunner, client: PinnedPeerClient,
         gossip: GossipSettings, logger: Logger) {
        self.index = index
        self.key = key
        self.me = me
        self.runner = runner
        self.client = client
        self.logger = logger
        router = GossipRouter(me: me, settings: gossip, seed: UInt64.random(in: 0...UInt64.max), now: 0)
    }

    static var nowMilliseconds: UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000) }

    /// Milliseconds since start (the router's clock).
    private var now: UInt64 { clock.now }

    // MARK: this node's own log

    /// Signs `added`/`removed` into announcements of at most 1,000 CIDs, stores them and
    /// flood-publishes them. What the log already says is left out (storage re-announces every
    /// pinned root at each start), so a repeat costs no announcement. Returns how many were
    /// made and the last sequence.
    func provide(added: [CID], removed: [CID]) async throws -> ProvideResponse {
        let word = try await index.latestWord(of: me, on: added + removed)
        var entries = Array(Set(added.map(\.v1)).filter { word[$0] != true }.map { ($0, true) })
            + Array(Set(removed.map(\.v1)).filter { word[$0] == true }.map { ($0, false) })
        var count = 0
        var last: UInt64 = 0
        // Members that joined since the last heartbeat get this announcement too.
        if !entries.isEmpty { await refreshPeers() }
        while !entries.isEmpty {
            let chunk = entries.prefix(ProviderAnnouncement.maximumCIDs)
            entries.removeFirst(chunk.count)
            let sequence = try await index.nextSequence(of: me)
            let announcement = try ProviderAnnouncement(origin: key, sequence: sequence, issuedAt: Self.nowMilliseconds,
                                                        added: chunk.filter(\.1).map(\.0), removed: chunk.filter { !$0.1 }.map(\.0))
            try await index.apply(announcement, now: Self.nowMilliseconds)
            await perform(router.publish(announcement, now: now))
            count += 1
            last = sequence
        }
        return ProvideResponse(announcements: count, lastSequence: last)
    }

    /// A provider let one of storage's fetches down (storage's report): the P5 penalty. Nil
    /// when the peer is not among the router's peers.
    func penalise(_ peer: PeerID, for kind: ProviderReport.Kind) -> Double? {
        guard router.knowsPeer(peer) else { return nil }
        router.adjustApplicationScore(of: peer, by: -(kind == .corrupt ? Self.badContentPenalty : Self.missingContentPenalty))
        return router.score(of: peer, now: now)
    }

    /// One proven bad block: two cross the gossip and publish thresholds (−4,000, −5,000), four
    /// the graylist (−10,000); it decays like every counter (half-life about 139 s).
    static let badContentPenalty = 3_000.0
    /// A block missing under a root the peer announces: eight cross the gossip threshold, a
    /// one-off (an unpin racing its announcement) only lowers the peer in the mesh.
    static let missingContentPenalty = 500.0

    // MARK: the announcement mesh

    /// A gossip RPC from a member (its packet's signature named it).
    func receive(_ rpc: GossipRPC, from peer: PeerID) async {
        // A member the router has not placed yet (it joined since the last heartbeat): look
        // again. A stranger's packet costs one membership lookup, no more.
        if !router.knows(peer), await runner.isLive(peer) { await refreshPeers() }
        await perform(router.receive(rpc, from: peer, now: now))
    }

    /// Milliseconds until the router's next heartbeat (0 when due).
    func millisecondsToNextHeartbeat() -> Int64 { clock.milliseconds(until: router.nextHeartbeat) }

    /// Runs the router's heartbeat when due, after telling it who is alive (when the
    /// membership changed since it last looked, or every 5 s).
    func heartbeatIfDue() async {
        guard now >= router.nextHeartbeat else { return }
        if await runner.membershipVersion != peersVersion || now >= peersRefreshedAt + 5_000 { await refreshPeers() }
        await perform(router.heartbeat(now: now))
    }

    private var peersVersion = -1
    private var peersRefreshedAt: UInt64 = 0

    /// Tells the router which members are alive now.
    private func refreshPeers() async {
        let (hosts, version) = await runner.liveMemberHosts()
        router.updatePeers(hosts, now: now)
        peersVersion = version
        peersRefreshedAt = now
    }

    /// Carries out the router's actions; validations feed their verdicts back in, whose
    /// forwards are carried out in turn.
    private func perform(_ actions: [GossipAction]) async {
        var pending = actions
        var sends: [(PeerID, GossipRPC)] = []
        while !pending.isEmpty {
            let action = pending.removeFirst()
            switch action {
            case .send(let peer, let rpc):
                sends.append((peer, rpc))
            case .validate(let announcement):
                let verdict = await validate(announcement)
                pending += router.validated(MessageID(announcement), verdict, now: now)
            case .fetch(let peer, let ids):
                fetch(ids, from: peer)
            }
        }
        if !sends.isEmpty { await runner.sendGossip(sends) }
    }

    /// Whether an announcement (from gossip or a digest exchange) is new and true: from a
    /// member, not already held, correctly signed — looked up before the signature is checked,
    /// so a repeat costs a lookup, not a verification. New and true ones are stored. This node's
    /// own name on one it does not hold is a forgery.
    private func validate(_ announcement: ProviderAnnouncement) async -> GossipVerdict {
        do {
            if announcement.origin == me { return announcement.isAuthentic ? .ignore : .reject }
            guard await runner.isKnownMember(announcement.origin) else { return .ignore }
            if try await index.has(origin: announcement.origin, sequence: announcement.sequence) { return .ignore }
            guard announcement.isAuthentic else { return .reject }
            return try await index.apply(announcement, now: Self.nowMilliseconds) ? .accept : .ignore
        } catch {
            logger.warning("cannot store an announcement", metadata: ["id": "\(MessageID(announcement))", "error": "\(error)"])
            return .ignore
        }
    }

    /// Pulls announcements too large for a datagram from the peer that advertised them.
    private func fetch(_ ids: [MessageID], from peer: PeerID) {
        guard fetching < 8 else { return }  // the IHAVE will come again, or the digest repairs it
        fetching += 1
        Task { [client, logger, runner] in
            defer { self.fetchEnded() }
            guard let record = await runner.member(peer)?.record else { return }
            for id in ids.prefix(16) {
                do {
                    let answer = try await client.send(.get, "/v1/mesh/announcements/\(id.origin)/\(id.sequence)", to: record.gatewayURL,
                                                       certificateSHA256: record.gatewayCertificateSHA256,
                                                       maximumBodyBytes: ProviderAnnouncement.maximumBodySize + 68, timeout: .seconds(5))
                    guard answer.status == .ok else { continue }
                    let announcement = try ProviderAnnouncement.decode(answer.body)
                    guard MessageID(announcement) == id else { continue }
                    await self.receive(fetched: announcement, from: peer)
                } catch {
                    logger.debug("announcement pull failed", metadata: ["id": "\(id)", "peer": "\(peer)", "error": "\(error)"])
                }
            }
        }
    }

    private func fetchEnded() { fetching -= 1 }

    private func receive(fetched announcement: ProviderAnnouncement, from peer: PeerID) async {
        await perform(router.receive(fetched: announcement, from: peer, now: now))
    }

    /// One stored announcement, for a peer pulling it.
    func announcement(of origin: PeerID, sequence: UInt64) async throws -> [UInt8]? {
        try await index.announcement(of: origin, sequence: sequence)
    }

    /// Scores and mesh membership, for `GET /v1/peers`.
    func annotate(_ response: MeshPeersResponse) -> MeshPeersResponse {
        var annotated = response
        let now = self.now
        let mesh = Set(router.meshPeers)
        for position in annotated.peers.indices {
            guard let peer = try? PeerID(annotated.peers[position].peerID) else { continue }
            annotated.peers[position].score = router.score(of: peer, now: now)
            annotated.peers[position].inMesh = mesh.contains(peer)
        }
        return annotated
    }

    func gossipHealth(queue: Int) -> MeshGossipHealth {
        let stats = router.stats
        return MeshGossipHealth(meshDegree: router.meshPeers.count, peers: router.peerCount, graylistedPeers: router.graylistedPeers(now: now),
                                accepted: stats.accepted, rejected: stats.rejected, duplicates: stats.duplicates, ignored: stats.ignoredRPCs,
                                brokenPromises: stats.brokenPromises, payloadSends: stats.payloadSends, ihaveSends: stats.ihaveSends, queue: queue)
    }

    // MARK: repair

    /// The answer to a digest: every held announcement newer than what the asker has, per
    /// origin, at most `limit` in all.
    func answer(_ digest: ProviderDigest, limit: Int = 2_000) async throws -> [UInt8] {
        var out: [UInt8] = []
        var remaining = limit
        for (origin, through) in try await index.digest().sorted(by: { $0.key < $1.key }) where remaining > 0 {
            let theirs = digest.have[origin.string] ?? 0
            guard through > theirs else { continue }
            let announcements = try await index.announcements(of: origin, after: theirs, limit: remaining)
            remaining -= announcements.count
            for announcement in announcements { out += announcement }
        }
        return out
    }

    /// Asks `member`'s gateway (pinned to the certificate its record names) for what this node
    /// is missing and accepts it.
    func repair(from member: PeerRecord) async {
        let url = member.gatewayURL
        do {
            let digest = ProviderDigest(have: Dictionary(uniqueKeysWithValues: try await index.digest().map { ($0.key.string, $0.value) }))
            let body = try JSONEncoder().encode(digest)
            let response = try await client.send(.post, "/v1/mesh/providers/digest", to: url, certificateSHA256: member.gatewayCertificateSHA256,
                                                 headers: [.contentType: "application/json"], body: Array(body),
                                                 maximumBodyBytes: 64 << 20, timeout: .seconds(20))
            guard response.status == .ok else { throw MeshWireError("digest exchange answered \(response.status.code)") }
            let answer = response.body
            var accepted = 0
            for announcement in try ProviderAnnouncement.decodeAll(answer) where await validate(announcement) == .accept {
                accepted += 1
            }
            if accepted > 0 { logger.debug("provider announcements repaired", metadata: ["from": "\(url)", "count": "\(accepted)"]) }
        } catch {
            logger.debug("provider digest exchange failed", metadata: ["with": "\(url)", "error": "\(error)"])
        }
    }

    // MARK: queries

    /// The live members (and this node) that say they hold `cid`, as records, with when this
    /// gateway learned it (Unix ms).
    func providers(of cid: CID) async throws -> [(record: PeerRecord, status: MemberStatus, learnedAt: UInt64)] {
        var result: [(PeerRecord, MemberStatus, UInt64)] = []
        for (origin, learnedAt) in try await index.providerEntries(of: cid) {
            if origin == me {
                result.append((await runner.ownRecord(), .alive, learnedAt))
            } else if let member = await runner.member(origin), member.status.isLive {
                result.append((member.record, member.status, learnedAt))
            }
        }
        return result
    }
}
