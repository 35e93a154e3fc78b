import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PakitContracts
import PakitCore
import PakitHTTPClient

/// The shell around `SWIMMembership`: the UDP socket, a millisecond clock, state exchanges
/// over HTTPS, and the seeds. One actor, so the state machine sees one input at a time.
actor MembershipRunner {
    let membership: SWIMMembership
    private let key: Curve25519.Signing.PrivateKey
    private let endpoint: UDPEndpoint
    private let client: ServiceClient
    private let peerClient: PinnedPeerClient
    private let seeds: [String]
    private let graylist: Graylist
    private let logger: Logger
    private let clock = MillisecondClock()
    private var resolved: [MeshAddress: SocketAddress] = [:]
    /// Datagrams or state answers that failed to decode or verify.
    private var undecodable = 0
    private var lastJoinAttempt: UInt64 = 0

    init(membership: SWIMMembership, key: Curve25519.Signing.PrivateKey, endpoint: UDPEndpoint, client: ServiceClient,
         peerClient: PinnedPeerClient, seeds: [String], graylist: Graylist, logger: Logger) {
        self.peerClient = peerClient
        self.graylist = graylist
        self.membership = membership
        self.key = key
        self.endpoint = endpoint
        self.client = client
        self.seeds = seeds
        self.logger = logger
    }

    /// Milliseconds since this runner started (the membership's clock).
    var now: UInt64 { clock.now }

    // MARK: inputs

    /// Handles a membership datagram; gossip for the announcement mesh is returned (with its
    /// sender) for the provider book, after its signature was checked here.
    func handle(_ datagram: InboundDatagram) -> (sender: PeerID, rpc: GossipRPC)? {
        guard let source = Self.meshAddress(datagram.source) else { return nil }
        let packet: MeshPacket
        do {
            packet = try MeshPacket.decode(datagram.bytes)
        } catch {
            undecodable += 1
            if graylist.strike(source.host, now: Self.wallSeconds) {
                logger.notice("graylisted a source of invalid mesh packets", metadata: ["source": "\(source.host)", "seconds": "\(graylist.duration)"])
            }
            logger.debug("dropped a mesh packet", metadata: ["from": "\(source)", "reason": "\(error)"])
            return nil
        }
        switch packet.body {
        case .state:
            undecodable += 1  // state exchanges come over HTTPS only
            return nil
        case .pubsub(let rpc):
            return (packet.sender, rpc)
        default:
            break
        }
        let invalidBefore = membership.invalidUpdates
        send(membership.receive(packet, from: source, now: now))
        // A signed packet carrying forged updates counts against its source too.
        if membership.invalidUpdates > invalidBefore { graylist.strike(source.host, now: Self.wallSeconds) }
        logEvents()
        return nil
    }

    /// Seconds of the wall clock, for the graylist's windows.
    static var wallSeconds: Double { Date().timeIntervalSince1970 }

    /// Milliseconds until the membership's next timer (0 when one is due).
    func millisecondsToNextTimer() -> Int64 { clock.milliseconds(until: membership.nextDeadline) }

    /// Runs the membership's timers when one is due (called every few milliseconds).
    func tickIfDue() {
        let now = self.now
        guard membership.nextDeadline <= now else { return }
        send(membership.tick(now: now))
        logEvents()
    }

    /// `POST /v1/mesh/state`: merges a peer's table and answers with ours, signed.
    func answerState(_ packet: MeshPacket) throws -> [UInt8] {
        guard case .state(true, let updates) = packet.body else {
            throw MeshWireError("a state exchange must be a state packet asking for a reply")
        }
        membership.mergeState(updates, now: now)
        logEvents()
        return try MeshPacket(sender: membership.me, body: .state(requestsReply: false, updates: membership.stateUpdates()))
            .encoded(signedWith: key)
    }

    // MARK: joining

    /// Joins through the seeds when this node knows no live member (at start, and again when
    /// it finds itself alone): a state exchange with each seed, in parallel; true when one answered.
    @discardableResult
    func joinIfAlone() async -> Bool {
        guard !seeds.isEmpty, membership.liveMemberCount == 0 else { return false }
        let now = self.now
        guard lastJoinAttempt == 0 || now - lastJoinAttempt >= 2_000 else { return false }
        lastJoinAttempt = now
        let request: [UInt8]
        do {
            request = try MeshPacket(sender: membership.me, body: .state(requestsReply: true, updates: membership.stateUpdates())).encoded(signedWith: key)
        } catch {
            return false
        }
        let answers = await withTaskGroup(of: [UInt8]?.self) { group in
            for seed in seeds {
                group.addTask { [client, logger] in
                    do {
                        return try await Self.exchange(request, with: seed, client: client)
                    } catch {
                        logger.info("seed did not answer", metadata: ["seed": "\(seed)", "error": "\(error)"])
                        return nil
                    }
                }
            }
            var answers: [[UInt8]] = []
            for await answer in group { if let answer { answers.append(answer) } }
            return answers
        }
        for answer in answers { mergeAnswer(answer) }
        if membership.liveMemberCount > 0 {
            send(membership.announceSelf())
            logger.notice("joined the mesh", metadata: ["members": "\(membership.liveMemberCount)"])
        }
        return !answers.isEmpty
    }

    /// Sends a signed goodbye to every live member.
    func leave() {
        if let packets = try? membership.leave(now: now) { send(packets) }
    }

    // MARK: what the provider book asks

    func liveMembers() -> [PeerRecord] {
        membership.memberViews.filter { $0.status.isLive }.map(\.record)
    }

    /// Live members and the IP their mesh address names (the router's peers; P6 counts IPs),
    /// with the membership's version.
    func liveMemberHosts() -> (hosts: [PeerID: String], version: Int) { (membership.liveMemberHosts, membership.version) }

    var membershipVersion: Int { membership.version }

    func isLive(_ peer: PeerID) -> Bool {
        guard let status = membership.member(peer)?.status else { return false }
        return status.isLive
    }

    /// Sends the announcement router's RPCs, each in one signed datagram, to the members'
    /// mesh addresses.
    func sendGossip(_ sends: [(PeerID, GossipRPC)]) {
        for (peer, rpc) in sends {
            guard let member = membership.member(peer), let address = socketAddress(member.record.meshAddress),
                  let bytes = try? MeshPacket(sender: membership.me, body: .pubsub(rpc)).encoded(signedWith: key) else { continue }
            endpoint.send(bytes, to: address)
        }
    }

    /// A member in any state (announcements of a node that died stay valid; it is answered as a
    /// provider only while alive).
    func isKnownMember(_ peer: PeerID) -> Bool { membership.member(peer) != nil }

    func member(_ peer: PeerID) -> MemberView? { membership.member(peer) }

    func ownRecord() -> PeerRecord { membership.record.record }

    /// A random live member's gateway, for the provider digest exchange.
    func randomLiveGateway() -> PeerRecord? { liveMembers().randomElement() }

    // MARK: what the API shows

    func peers() -> MeshPeersResponse {
        let now = self.now
        let me = MeshPeer(record: membership.record.record, status: .alive, incarnation: membership.record.record.incarnation, secondsInStatus: 0)
        let peers = membership.memberViews.map { view in
            MeshPeer(record: view.record, status: MeshPeer.Status(rawValue: view.status.rawValue) ?? .dead, incarnation: view.incarnation,
                     secondsInStatus: Double(now - min(now, view.since)) / 1_000)
        }
        return MeshPeersResponse(node: me, peers: peers)
    }

    /// `rateLimited`: datagrams the socket refused before decoding (too fast from their source).
    func health(rateLimited: Int, gossip: MeshGossipHealth) -> MeshHealth {
        let views = membership.memberViews
        return MeshHealth(alive: views.count { $0.status == .alive }, suspect: views.count { $0.status == .suspect },
                          dead: views.count { $0.status == .dead }, left: views.count { $0.status == .left },
                          healthMultiplier: membership.awareness, incarnation: membership.record.record.incarnation,
                          broadcastQueue: membership.broadcastQueueDepth,
                          rejectedPackets: undecodable + rateLimited + membership.ignoredPackets,
                          invalidUpdates: membership.invalidUpdates, refutations: membership.refutations,
                          graylistedSources: graylist.count(now: Self.wallSeconds), deathsRecorded: membership.deathsRecorded,
                          sendFailures: endpoint.sendFailures.load(ordering: .relaxed), gossip: gossip)
    }

    // MARK: sending

    private func send(_ packets: [OutgoingPacket]) {
        for packet in packets {
            if case .state = packet.body {
                exchangeState(packet)
                continue
            }
            guard let address = socketAddress(packet.address),
                  let bytes = try? MeshPacket(sender: membership.me, body: packet.body).encoded(signedWith: key) else { continue }
            endpoint.send(bytes, to: address)
        }
    }

    /// The periodic anti-entropy: our table to the member at `packet.address`, theirs back.
    private func exchangeState(_ packet: OutgoingPacket) {
        guard let member = membership.memberViews.first(where: { $0.record.meshAddress == packet.address }),
              let bytes = try? MeshPacket(sender: membership.me, body: packet.body).encoded(signedWith: key) else { return }
        let record = member.record
        Task { [peerClient, logger] in
            do {
                let answer = try await Self.exchange(bytes, with: record, client: peerClient)
                self.mergeAnswer(answer)
            } catch {
                logger.debug("state exchange failed", metadata: ["peer": "\(member.record.peer)", "error": "\(error)"])
            }
        }
    }

    private func mergeAnswer(_ bytes: [UInt8]) {
        guard let packet = try? MeshPacket.decode(bytes, maximumSize: MeshPacket.maximumStateSize),
              case .state(false, let updates) = packet.body else {
            undecodable += 1
            return
        }
        membership.mergeState(updates, now: now)
        logEvents()
    }

    /// A state exchange with a member: pinned to the gateway certificate its record names.
    private static func exchange(_ bytes: [UInt8], with member: PeerRecord, client: PinnedPeerClient) async throws -> [UInt8] {
        let answer = try await client.send(.post, "/v1/mesh/state", to: member.gatewayURL, certificateSHA256: member.gatewayCertificateSHA256,
                                           headers: [.contentType: "application/octet-stream"], body: bytes,
                                           maximumBodyBytes: MeshPacket.maximumStateSize, timeout: .seconds(5))
        guard answer.status == .ok else { throw MeshWireError("state exchange answered \(answer.status.code)") }
        return answer.body
    }

    /// The join's exchange with a seed, known only by its URL (see `MeshGatewayNode.open`).
    private static func exchange(_ bytes: [UInt8], with gatewayURL: String, client: ServiceClient) async throws -> [UInt8] {
        let request = ServiceRequest(.POST, "/v1/mesh/state", headers: ["Content-Type": "application/octet-stream"],
                                     body: .bytes(ByteBuffer(bytes: bytes)), idempotent: true, timeout: .seconds(5),
                                     retry: RetryPolicy(maximumAttempts: 2), responseLimit: MeshPacket.maximumStateSize)
        return try await client.send(request, to: gatewayURL).bytes
    }

    /// IP literals only: a name in a peer's record would make this actor wait on DNS.
    private func socketAddress(_ address: MeshAddress) -> SocketAddress? {
        if let known = resolved[address] { return known }
        guard let socket = try? SocketAddress(ipAddress: address.host, port: address.port) else { return nil }
        if resolved.count > 10_000 { resolved.removeAll() }
        resolved[address] = socket
        return socket
    }

    static func meshAddress(_ socket: SocketAddress) -> MeshAddress? {
        guard let ip = socket.ipAddress, let port = socket.port else { return nil }
        return try? MeshAddress(host: ip, port: port)
    }

    private func logEvents() {
        for event in membership.drainEvents() {
            switch event {
            case .statusChanged(let peer, let status):
                logger.info("member \(status.rawValue)", metadata: ["peer": "\(peer)"])
            case .refuted(let incarnation):
                logger.notice("refuted a suspicion of this node", metadata: ["incarnation": "\(incarnation)"])
            }
        }
    }
}

extension MeshPeer {
    init(record: PeerRecord, status: Status, incarnation: UInt64, secondsInStatus: Double) {
        self.init(peerID: record.peer.string, status: status, incarnation: incarnation, meshAddress: record.meshAddress.description,
                  gatewayURL: record.gatewayURL, storageURL: record.storageURL,
                  gatewayCertificateSHA256: Hex.encode(record.gatewayCertificateSHA256),
                  storageCertificateSHA256: Hex.encode(record.storageCertificateSHA256),
                  recordIssuedAt: record.issuedAt, secondsInStatus: secondsInStatus)
    }
}
