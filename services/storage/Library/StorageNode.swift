import Foundation
import Hummingbird
import Logging
import PakitContracts
import PakitAuth
import PakitConcurrency
import PakitCore
import PakitFiles
import PakitHTTPClient
import PakitHTTPServer
import PakitIdentity
import PakitJobs
import PakitObservability
import PakitService
import PakitSQL
import ServiceLifecycle
import Synchronization

/// One running storage service: its stores, its routes, its start-up recovery. `ServiceMain`
/// (the `pakit-storage` executable) and the tests run it through `ServiceHost`.
public final class StorageNode: PakitService {
    public static let name = ServiceName.storage
    public static let version = "0.1.0"

    public let configuration: StorageConfiguration
    let database: any SQLDatabase
    let metadata: MetadataStore
    let blockStore: BlockStore
    /// Where blocking file I/O and CPU-heavy work run (never the cooperative pool).
    let executors: ServiceExecutors
    let guardian = BlockGuard()
    let reader: DAGReader
    let tokens: TokenStore
    let shareLinks: ShareLinks
    let logger: Logger
    let jobQueue: JobQueue
    let proofJobs: ProofJobStore
    let proverPool: ProverPool
    let proverClient: any ProverAPI
    let verifyingKeys: VerifyingKeyCache
    let verifyLimiter: RateLimiter
    let jobRunner: ProofJobRunner
    /// Tells the mesh gateway what this node holds (nil when no gateway is configured).
    let announcer: ProviderAnnouncer?
    /// This node's identity (signs share links and replica statements) and its peer ID.
    let identity: NodeIdentity
    let peerID: PeerID
    let replicaStore: ReplicaStore
    /// The mesh as the gateway lists it, and the replicas kept from it (nil without a gateway).
    let meshView: MeshView?
    let replicator: Replicator?
    private let replicationWorker: JobWorker?
    private let peerCertificates = PinnedPeers()
    /// This node's gateway and the other nodes, as clients (nil without a gateway).
    private let meshClients: (gateway: ServiceClient, peers: PinnedPeerClient)?
    /// Calls to this node's chain relay, presenting the storage certificate.
    let relayClient: ServiceClient?
    /// `.bz` names' finalized records, each until its expiry (`site-cache-seconds`).
    let siteCache = Mutex<[String: (record: BnsHostingRecord?, until: ContinuousClock.Instant)]>([:])
    /// Fetches blocks this node lacks from its peers (nil without a mesh gateway, or when
    /// `fetch-from-peers` is off).
    let remote: RemoteBlocks?
    private let listeningURL = Mutex<String?>(nil)

    /// The URL share links name: `public-url`, else the address the server listens on.
    var publicBaseURL: String {
        configuration.common.publicURL ?? listeningURL.withLock { $0 } ?? configuration.common.baseURL(port: configuration.common.port)
    }

    /// Opens everything the service needs and recovers from any earlier crash: creates the
    /// storage directories and the admin token on first start, applies migrations, removes
    /// temporary block files. Blocking file I/O and hashing run on `ServiceExecutors.current`
    /// (the process's shared pools unless a test bound its own around `ServiceHost.start`).
    public static func open(_ configuration: StorageConfiguration, logger: Logger) async throws -> StorageNode {
        let executors = ServiceExecutors.current
        try FileManager.default.createDirectory(atPath: "\(configuration.dataDirectory)/storage", withIntermediateDirectories: true)
        let identity = try NodeIdentity.loadOrCreate(in: "\(configuration.dataDirectory)/keys")
        let database = try await SQLDatabases.open(url: configuration.databaseURL, logger: logger)
        do {
            try await StorageSchema.migrate(database, logger: logger)
            let tokens = TokenStore(database: database)
            try await tokens.migrate(logger: logger)
            let (blockStore, commitmentFiles) = try await executors.blockingIO.run {
                (try BlockStore(root: configuration.blockDirectory, executors: executors),
                 try CommitmentFiles(dataDirectory: configuration.dataDirectory, executors: executors))
            }
            let removed = await blockStore.removeTemporaryFiles()
            if removed > 0 { logger.notice("recovery removed unfinished block writes", metadata: ["files": "\(removed)"]) }
            let node = try StorageNode(configuration: configuration, database: database, blockStore: blockStore, tokens: tokens,
                                       identity: identity, commitmentFiles: commitmentFiles, logger: logger)
            do {
                try await node.ensureAdminToken()
            } catch {
                await (node.proverClient as? HTTPProverClient)?.shutdown()
                throw error
            }
            return node
        } catch {
            await database.close()
            throw error
        }
    }

    private init(configuration: StorageConfiguration, database: any SQLDatabase, blockStore: BlockStore, tokens: TokenStore,
                 identity: NodeIdentity, commitmentFiles: CommitmentFiles, logger: Logger) throws {
        self.configuration = configuration
        self.database = database
        let metadata = MetadataStore(database: database)
        self.metadata = metadata
        self.blockStore = blockStore
        self.executors = blockStore.executors
        // One client for this node's gateway (announcements, provider lookups, the member list)
        // and one for other nodes, presenting this node's storage certificate, which they pin
        // from its record (so a private node serves its peers).
        let meshClients = try configuration.meshGateway.map { _ in
            (gateway: ServiceClient(tls: try configuration.common.tls.clientConfiguration(), timeout: .seconds(30)),
             peers: try PinnedPeerClient(identity: configuration.common.tls))
        }
        self.meshClients = meshClients
        relayClient = try configuration.chainRelay.map { _ in
            ServiceClient(tls: try configuration.common.tls.clientConfiguration(), timeout: .seconds(30))
        }
        var remote: RemoteBlocks?
        if let gateway = configuration.meshGateway, let meshClients, configuration.fetchFromPeers {
            remote = RemoteBlocks(
                gatewayURL: gateway, gatewayClient: meshClients.gateway, peerClient: meshClients.peers,
                upstreamGateways: configuration.upstreamGateways,
                upstreamClient: configuration.upstreamGateways.isEmpty ? nil : ServiceClient.forPublicServers(timeout: .seconds(60)),
                ownCertificateSHA256: PinnedPeerClient.fingerprint(ofPEMFile: configuration.common.tls.certificate),
                blockStore: blockStore, metadata: metadata, guardian: guardian,
                timeout: .seconds(configuration.fetchTimeoutSeconds), dagBlockLimit: configuration.maxCARBlocks, logger: logger)
        }
        self.remote = remote
        self.reader = DAGReader(blockStore: blockStore, metadata: metadata, remote: remote)
        self.tokens = tokens
        self.shareLinks = ShareLinks(identity: identity)
        self.logger = logger
        self.jobQueue = JobQueue(database: database)
        self.proofJobs = ProofJobStore(database: database, queue: jobQueue)
        self.identity = identity
        self.peerID = try PeerID(ed25519PublicKey: identity.publicKey.rawRepresentation)
        self.replicaStore = ReplicaStore(database: database)
        // Claims name the node by its identity key, so a restart recognises its own.
        let nodeID = Hex.encode(identity.publicKey.rawRepresentation.prefix(8))
        if let gateway = configuration.meshGateway, let meshClients {
            let view = MeshView(gatewayURL: gateway, client: meshClients.gateway, pinnedPeers: peerCertificates, logger: logger)
            let replicator = Replicator(store: replicaStore, view: view, queue: jobQueue, peers: meshClients.peers,
                                        grace: .seconds(configuration.replicaGraceSeconds), logger: logger)
            self.meshView = view
            self.replicator = replicator
            self.replicationWorker = JobWorker(queue: jobQueue, node: "\(nodeID).replication",
                                               handlers: [replicator.handler], concurrency: 4, logger: logger)
        } else {
            self.meshView = nil
            self.replicator = nil
            self.replicationWorker = nil
        }
        self.proverPool = ProverPool(urls: configuration.provers)
        self.proverClient = configuration.provers.isEmpty
            ? NoProverClient() : try HTTPProverClient(tls: configuration.common.tls, timeoutSeconds: configuration.proverTimeoutSeconds)
        self.verifyingKeys = VerifyingKeyCache(client: proverClient, executors: blockStore.executors)
        self.verifyLimiter = RateLimiter(rate: Double(configuration.verifyRate), burst: Double(2 * configuration.verifyRate))
        self.jobRunner = ProofJobRunner(
            store: proofJobs, pool: proverPool, proverCount: configuration.provers.count, client: proverClient,
            keys: verifyingKeys, reader: reader, files: commitmentFiles, executors: blockStore.executors,
            maxAttempts: configuration.proofAttempts,
            nodeID: nodeID, logger: logger)
        if let gateway = configuration.meshGateway, let meshClients {
            self.announcer = ProviderAnnouncer(gatewayURL: gateway, client: meshClients.gateway, pinnedRoots: { [metadata] in
                try await metadata.database.read("SELECT cid FROM pins").map { try CID(bytes: try $0.blob("cid")) }
            }, logger: logger)
        } else {
            self.announcer = nil
        }
    }

    /// Queues pinned roots (CID strings from a response) for the mesh gateway's provider index.
    func announcePinned(_ cids: [String]) {
        announcer?.added(cids.compactMap { try? CID($0) })
    }

    /// Where the admin token of this node is kept (0600), created on first start.
    public var adminTokenPath: String { "\(configuration.dataDirectory)/admin.token" }

    private func ensureAdminToken() async throws {
        guard !FileManager.default.fileExists(atPath: adminTokenPath) else { return }
        let (_, token) = try await tokens.create(name: "admin (created on first start)", scopes: [.admin])
        try AtomicFile.write(token + "\n", to: adminTokenPath)
        logger.notice("created admin token", metadata: ["path": "\(adminTokenPath)"])
    }

    /// The reader for a read of the DAG under `root`: blocks this node lacks are fetched from
    /// the root's providers.
    func reader(under root: CID) -> DAGReader { reader.fetching(under: root) }

    /// Walks the whole DAG under `root`, handing each block to `visit`, after making it local:
    /// first as one CAR from a provider, then block by block for whatever that left missing
    /// (a pin of content held elsewhere, a replica's pull).
    func pullDAG(_ root: CID, visit: (CID, [UInt8]) async throws -> Void = { _, _ in }) async throws {
        if let remote, !(await blockStore.contains(root)) { _ = await remote.fetchDAG(root) }
        try await reader(under: root).traverse(root, visit: visit)
    }

    /// Raw block bytes as this node serves them; changed in one byte when the test-only
    /// `test-corrupt-served-blocks` plays a dishonest provider.
    func served(_ bytes: [UInt8]) -> [UInt8] {
        guard configuration.corruptServedBlocks, !bytes.isEmpty else { return bytes }
        var corrupted = bytes
        corrupted[corrupted.count / 2] ^= 0xFF
        return corrupted
    }

    var ingest: FileIngest {
        var ingest = FileIngest(blockStore: blockStore, metadata: metadata, guardian: guardian)
        ingest.defaultReplicas = configuration.replicationFactor
        return ingest
    }

    // MARK: PakitService

    public func addMiddleware(to router: Router<ServiceRequestContext>) {
        router.add(middleware: BearerTokenMiddleware(tokens: tokens))
        if configuration.chainRelay != nil { router.add(middleware: SiteHostMiddleware(node: self)) }
    }

    public var readinessChecks: [ReadinessCheck] {
        [
            ReadinessCheck(name: "database") { [database] in try await database.ping() },
            ReadinessCheck(name: "blocks") { [blockStore] in
                guard access(blockStore.root, W_OK) == 0 else { throw StorageError.unavailable("block directory not writable") }
            },
        ]
    }

    /// Every route of the v1 API and the internal ones.
    public func addRoutes(to router: Router<ServiceRequestContext>) {
        addFileRoutes(to: router)
        addBlockRoutes(to: router)
        addCARRoutes(to: router)
        addGatewayRoutes(to: router)
        addPinRoutes(to: router)
        addAdminRoutes(to: router)
        addProofRoutes(to: router)
        addJobRoutes(to: router)
        addReplicaRoutes(to: router)
        addInternalRoutes(to: router)
        addAnchorRoutes(to: router)
        addSiteRoutes(to: router)
        addQuotaRoutes(to: router)
    }

    /// The durable seal and proof job runner runs beside the server (it resumes unfinished
    /// jobs at start and hands interrupted ones back at shutdown).
    public func backgroundServices() -> [any Service] {
        var services: [any Service] = [jobRunner]
        if let announcer { services.append(announcer) }
        if let relay = configuration.chainRelay, let relayClient, configuration.quotaPlanckPerMiB > 0 {
            services.append(QuotaCrediter(relayURL: relay, client: relayClient, database: database,
                                          planckPerMiB: UInt128(configuration.quotaPlanckPerMiB), logger: logger))
        }
        if let meshView, let replicator, let replicationWorker { services += [meshView, replicator, replicationWorker] }
        return services
    }

    /// Other nodes' storage certificates, as their signed mesh records name them.
    public var pinnedPeers: PinnedPeers? { meshView == nil ? nil : peerCertificates }

    public func didStartListening(url: String, port: Int) async {
        listeningURL.withLock { $0 = url }
        // Reconciliation runs after the server is up, so a restart does not wait for a scan of
        // every block file.
        Task { await self.reconcile() }
    }

    /// Start-up reconciliation of metadata and block store.
    public func reconcile() async {
        let reconciler = Reconciler(metadata: metadata, blockStore: blockStore, guardian: guardian)
        do {
            let orphans = try await reconciler.removeOrphanFiles()
            if orphans.files > 0 {
                logger.notice("reconcile removed block files no metadata refers to",
                              metadata: ["files": "\(orphans.files)", "bytes": "\(orphans.freedBytes)"])
            }
            let missing = try await reconciler.missingFiles()
            if let first = missing.first {
                logger.error("metadata names block files that are missing from disk",
                             metadata: ["count": "\(missing.count)", "example": "\(first)"])
            }
        } catch {
            logger.error("reconcile failed", metadata: ["error": "\(error)"])
        }
    }

    public func close() async {
        await remote?.shutdown()
        await relayClient?.shutdown()
        await meshClients?.gateway.shutdown()
        await meshClients?.peers.shutdown()
        await (proverClient as? HTTPProverClient)?.shutdown()
        await database.close()
    }
}

/// Runs a handler body and maps typed storage errors to the envelope once.
func handle<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StorageError {
        throw error.serviceError
    } catch let error as SQLError {
        // The details are for the operator's log, not the client.
        Logger(label: "pakit.storage").error("database error", metadata: ["error": "\(error)"])
        throw ServiceError(.serviceUnavailable, "database_unavailable", "the metadata database failed; try again later")
    }
}
