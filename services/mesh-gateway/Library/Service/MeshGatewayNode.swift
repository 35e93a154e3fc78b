import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOSSL
import PakitConcurrency
import PakitConfiguration
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitHTTPServer
import PakitIdentity
import PakitService
import PakitSQL
import ServiceLifecycle
import Synchronization

/// One running mesh-gateway: the node's identity in the mesh, its UDP socket and its SWIM
/// membership (`MembershipRunner`). `ServiceMain` (the `pakit-mesh-gateway` executable) and
/// the tests run it through `ServiceHost`.
///
/// The UDP socket is bound in `open`, so a taken port fails the start; the signed record needs
/// the HTTPS URL, so the membership starts once the server listens.
public final class MeshGatewayNode: PakitService {
    public static let name = ServiceName.meshGateway
    public static let version = "0.1.0"

    public let configuration: MeshGatewayConfiguration
    let identity: NodeIdentity
    let peer: PeerID
    let endpoint: UDPEndpoint
    let client: ServiceClient
    /// Calls to members, pinned to the certificate each one's record names.
    let peerClient: PinnedPeerClient
    let logger: Logger
    /// Requests from other gateways (state exchanges, announcements, digests) one client IP may
    /// make per second (bursts of four times that).
    let peerRequestLimiter = RateLimiter(rate: 5, burst: 20)
    private let rateLimitedPackets: RateLimitedCounter
    /// Sources whose datagrams keep failing: dropped unread for a while.
    let graylist: Graylist
    let database: any SQLDatabase
    private let runnerSlot = Mutex<(runner: MembershipRunner, providers: ProviderBook)?>(nil)
    private let runnerStarted = WakeSignal()

    public static func open(_ configuration: MeshGatewayConfiguration, logger: Logger) async throws -> MeshGatewayNode {
        let identity = try configuration.nodeKey.map { try NodeIdentity.loadOrCreate(file: $0) }
            ?? NodeIdentity.loadOrCreate(in: "\(configuration.dataDirectory)/keys")
        let limiter = RateLimiter(rate: configuration.packetRate, burst: 2 * configuration.packetRate)
        let counter = RateLimitedCounter()
        let graylist = Graylist()
        let endpoint: UDPEndpoint
        do {
            endpoint = try await UDPEndpoint.bind(host: configuration.meshHost, port: configuration.meshPort) { source in
                let address = source.ipAddress ?? "?"
                guard !graylist.isGraylisted(address, now: MembershipRunner.wallSeconds), limiter.acquire("ip:\(address)").allowed else {
                    counter.value.add(1, ordering: .relaxed)
                    return false
                }
                return true
            }
        } catch {
            throw ConfigurationError("cannot bind the mesh's UDP socket on \(configuration.meshHost):\(configuration.meshPort): \(error)")
        }
        // A seed is only an address until it answers: the join's state exchange is trusted
        // for its signatures (every record and statement in it is signed), not for the
        // channel. Every later call goes to a member whose signed record names its
        // certificate, through `peerClient`, which trusts exactly that certificate.
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = ServiceClient(tls: tls, timeout: .seconds(10))
        let peerClient = try PinnedPeerClient(identity: nil)
        let peer = try PeerID(ed25519PublicKey: identity.publicKey.rawRepresentation)
        let database: any SQLDatabase
        do {
            let url = configuration.common.databaseURL ?? "sqlite:\(configuration.dataDirectory)/mesh-gateway/providers.sqlite"
            if url.hasPrefix("sqlite:") {
                try FileManager.default.createDirectory(atPath: (String(url.dropFirst(7)) as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            database = try await SQLDatabases.open(url: url, logger: logger)
            try await Migrator.migrate(database, schema: "mesh", migrations: ProviderIndex.migrations, logger: logger)
        } catch {
            await endpoint.close()
            await client.shutdown()
            await peerClient.shutdown()
            throw error
        }
        return MeshGatewayNode(configuration: configuration, identity: identity, peer: peer, endpoint: endpoint, client: client,
                               peerClient: peerClient, database: database, counter: counter, graylist: graylist, logger: logger)
    }

    private init(configuration: MeshGatewayConfiguration, identity: NodeIdentity, peer: PeerID, endpoint: UDPEndpoint, client: ServiceClient,
                 peerClient: PinnedPeerClient, database: any SQLDatabase, counter: RateLimitedCounter, graylist: Graylist, logger: Logger) {
        self.peerClient = peerClient
        self.database = database
        self.graylist = graylist
        self.configuration = configuration
        self.identity = identity
        self.peer = peer
        self.endpoint = endpoint
        self.client = client
        self.logger = logger
        self.rateLimitedPackets = counter
    }

    /// The UDP address other nodes reach this one at.
    public var meshAddress: String { configuration.meshAdvertise ?? "\(configuration.meshHost):\(endpoint.localPort)" }

    /// The membership, once the server listens (nil before).
    var runner: MembershipRunner? { runnerSlot.withLock { $0?.runner } }
    /// The provider index and log, once the membership runs.
    var providerBook: ProviderBook? { runnerSlot.withLock { $0?.providers } }

    func waitForRunner() async -> (runner: MembershipRunner, providers: ProviderBook) {
        while true {
            if let started = runnerSlot.withLock({ $0 }) { return started }
            await runnerStarted.wait(timeout: .seconds(1))
        }
    }

    var rateLimitedCount: Int { rateLimitedPackets.value.load(ordering: .relaxed) }
    /// Gossip RPCs received and not yet handled by the provider book (the queue drops the
    /// oldest beyond 4,096).
    let gossipQueue = Atomic<Int>(0)

    func health(runner: MembershipRunner, providers: ProviderBook) async -> MeshHealth {
        let gossip = await providers.gossipHealth(queue: gossipQueue.load(ordering: .relaxed))
        return await runner.health(rateLimited: rateLimitedCount, gossip: gossip)
    }

    // MARK: PakitService

    public func addRoutes(to router: Router<ServiceRequestContext>) {
        addMeshRoutes(to: router)
        addProviderRoutes(to: router)
    }

    public var readinessChecks: [ReadinessCheck] {
        [ReadinessCheck(name: "membership") { [self] in
            guard runner != nil else { throw ServiceError(.serviceUnavailable, "starting", "the membership has not started") }
        }]
    }

    public func backgroundServices() -> [any Service] { [MembershipLoop(node: self)] }

    /// `/health` carries the membership and gossip counts (`/v1/mesh/health`), once they run.
    public func health(_ base: HealthResponse) async -> HealthResponse {
        guard let (runner, providers) = runnerSlot.withLock({ $0 }) else { return base }
        var answer = base
        answer.mesh = await health(runner: runner, providers: providers)
        return answer
    }

    public func didStartListening(url: String, port: Int) async {
        do {
            let address = try MeshAddress(meshAddress)
            let record = PeerRecord(peer: peer, incarnation: 0, issuedAt: UInt64(Date().timeIntervalSince1970 * 1_000), meshAddress: address,
                                    gatewayURL: url, storageURL: storageURL(),
                                    gatewayCertificateSHA256: PinnedPeerClient.fingerprint(ofPEMFile: configuration.common.tls.certificate),
                                    storageCertificateSHA256: PinnedPeerClient.fingerprint(ofPEMFile: "\(configuration.dataDirectory)/tls/storage.pem"))
            let membership = try SWIMMembership(key: identity.privateKey, record: record, settings: configuration.membership,
                                                seed: UInt64.random(in: 0...UInt64.max), now: 0)
            let runner = MembershipRunner(membership: membership, key: identity.privateKey, endpoint: endpoint, client: client,
                                          peerClient: peerClient, seeds: configuration.seeds, graylist: graylist, logger: logger)
            let providers = ProviderBook(index: ProviderIndex(database: database), key: identity.privateKey, me: peer, runner: runner,
                                         client: peerClient, gossip: configuration.gossip, logger: logger)
            runnerSlot.withLock { $0 = (runner, providers) }
            runnerStarted.signal()
            logger.notice("mesh identity", metadata: ["peer": "\(peer)", "mesh": "\(address)"])
        } catch {
            logger.critical("cannot start the membership: \(error)")
        }
    }

    public func close() async {
        await endpoint.close()
        await client.shutdown()
        await peerClient.shutdown()
        await database.close()
    }

    private func storageURL() -> String {
        if let url = configuration.storageURL { return url }
        let file = "\(configuration.dataDirectory)/storage.url"
        let text = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return text.utf8.count <= PeerRecord.maximumURLLength ? text : ""
    }
}

struct MeshSocketClosed: Error, CustomStringConvertible {
    var description: String { "the mesh's UDP socket closed" }
}

/// The counter the UDP socket's admission check bumps on the event loop.
final class RateLimitedCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// Runs the membership beside the server: joins through the seeds, feeds it datagrams and
/// timer ticks; on graceful shutdown says goodbye to the members.
struct MembershipLoop: Service {
    let node: MeshGatewayNode

    func run() async throws {
        let (runner, providers) = await node.waitForRunner()
        let node = self.node
        let datagrams = node.endpoint.datagrams
        let repairInterval = Duration.milliseconds(Int64(node.configuration.membership.pushPullInterval))
        // Gossip goes to the provider book through a bounded queue of its own, so that storing
        // announcements never holds up probes and acks.
        let (gossip, gossipInput) = AsyncStream.makeStream(of: (sender: PeerID, rpc: GossipRPC).self, bufferingPolicy: .bufferingNewest(4_096))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await datagram in datagrams {
                        if let received = await runner.handle(datagram) {
                            node.gossipQueue.add(1, ordering: .relaxed)
                            // A full queue drops its oldest RPC, which is then never handled.
                            if case .dropped = gossipInput.yield(received) { node.gossipQueue.subtract(1, ordering: .relaxed) }
                        }
                    }
                    gossipInput.finish()
                }
                group.addTask {
                    for await (sender, rpc) in gossip {
                        node.gossipQueue.subtract(1, ordering: .relaxed)
                        await providers.receive(rpc, from: sender)
                    }
                }
                group.addTask {
                    // Sleeps until the next timer of the membership or the router, but at most
                    // 50 ms (a received packet may set a timer; none is shorter than the 150 ms
                    // probe timeout), and at least 1 ms. Idle members wake ~20 times a second,
                    // not 100: wake-ups were most of an idle gateway's CPU. The seeds are tried
                    // every 500 ms whenever this node knows no live member; metrics each second.
                    let clock = ContinuousClock()
                    var nextJoin = clock.now
                    var nextMetrics = clock.now + .seconds(1)
                    while !Task.isCancelled {
                        if clock.now >= nextJoin {
                            nextJoin = clock.now + .milliseconds(500)
                            await runner.joinIfAlone()
                        }
                        await runner.tickIfDue()
                        await providers.heartbeatIfDue()
                        if clock.now >= nextMetrics {
                            nextMetrics = clock.now + .seconds(1)
                            MeshMetrics.record(await node.health(runner: runner, providers: providers))
                        }
                        let wait = min(await runner.millisecondsToNextTimer(), await providers.millisecondsToNextHeartbeat())
                        try? await Task.sleep(for: .milliseconds(max(1, min(50, wait))))
                    }
                }
                group.addTask {
                    // Provider anti-entropy: one random live member per interval.
                    while !Task.isCancelled {
                        try? await Task.sleep(for: repairInterval)
                        if let member = await runner.randomLiveGateway() { await providers.repair(from: member) }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        await runner.leave()
        // The socket closed under the membership (not a shutdown): stop the service, so its
        // supervisor restarts it, rather than serve a mesh view that no longer changes.
        guard Task.isShuttingDownGracefully || Task.isCancelled else {
            throw MeshSocketClosed()
        }
    }
}
