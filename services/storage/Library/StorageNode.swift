import Foundation
import Hummingbird
import Logging
import PakitContracts
import PakitCore
import PakitFiles
import PakitHTTPServer
import PakitIdentity
import PakitJobs
import PakitObservability
import PakitSQL
import PakitTLS
import ServiceLifecycle
import Synchronization

/// One running storage service: its stores, its HTTPS server, its start-up recovery.
public final class StorageNode: Sendable {
    public static let version = "0.1.0"

    public let configuration: StorageConfiguration
    public let tls: TLSPaths
    let database: any SQLDatabase
    let metadata: MetadataStore
    let blockStore: BlockStore
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
    let jobRunner: ProofJobRunner
    private let listeningPort = Atomic<Int>(0)

    /// The port the server is bound to (the configured one until it runs).
    public var boundPort: Int {
        let port = listeningPort.load(ordering: .relaxed)
        return port == 0 ? configuration.port : port
    }

    /// Opens everything the service needs and recovers from any earlier crash:
    /// creates the data directory, CA, node key and admin token on first start, applies
    /// migrations, removes temporary block files.
    public static func open(_ configuration: StorageConfiguration, logger: Logger) async throws -> StorageNode {
        let fm = FileManager.default
        try fm.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try fm.createDirectory(atPath: "\(configuration.dataDirectory)/storage", withIntermediateDirectories: true)
        let tls = try configuration.tls ?? LocalCertificateAuthority.loadOrCreate(in: "\(configuration.dataDirectory)/tls")
            .certificate(for: ServiceName.storage.rawValue, hostnames: configuration.tlsHostnames)
        let identity = try NodeIdentity.loadOrCreate(in: "\(configuration.dataDirectory)/keys")
        let database = try await SQLDatabases.open(url: configuration.databaseURL, logger: logger)
        do {
            // The job queue's table first: storage's migration 3 moves its old proof jobs into it.
            try await JobSchema.migrate(database, logger: logger)
            try await Migrator.migrate(database, schema: StorageSchema.name, migrations: StorageSchema.migrations, logger: logger)
            let blockStore = try BlockStore(root: configuration.blockDirectory)
            let removed = try blockStore.removeTemporaryFiles()
            if removed > 0 { logger.notice("recovery removed unfinished block writes", metadata: ["files": "\(removed)"]) }
            let commitmentFiles = try CommitmentFiles(dataDirectory: configuration.dataDirectory)
            let node = try StorageNode(configuration: configuration, tls: tls, database: database, blockStore: blockStore,
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

    private init(configuration: StorageConfiguration, tls: TLSPaths, database: any SQLDatabase, blockStore: BlockStore,
                 identity: NodeIdentity, commitmentFiles: CommitmentFiles, logger: Logger) throws {
        self.configuration = configuration
        self.tls = tls
        self.database = database
        self.metadata = MetadataStore(database: database)
        self.blockStore = blockStore
        self.reader = DAGReader(blockStore: blockStore)
        self.tokens = TokenStore(database: database)
        self.shareLinks = ShareLinks(identity: identity)
        self.logger = logger
        self.jobQueue = JobQueue(database: database)
        self.proofJobs = ProofJobStore(database: database, queue: jobQueue)
        self.proverPool = ProverPool(urls: configuration.provers)
        self.proverClient = configuration.provers.isEmpty
            ? NoProverClient() : try HTTPProverClient(tls: tls, timeoutSeconds: configuration.proverTimeoutSeconds)
        self.verifyingKeys = VerifyingKeyCache(client: proverClient)
        // Claims name the node by its identity key, so a restart recognises its own.
        let nodeID = identity.publicKey.rawRepresentation.prefix(8).map { String(format: "%02x", $0) }.joined()
        self.jobRunner = ProofJobRunner(
            store: proofJobs, pool: proverPool, proverCount: configuration.provers.count, client: proverClient,
            keys: verifyingKeys, reader: reader, files: commitmentFiles, maxAttempts: configuration.proofAttempts,
            nodeID: nodeID, logger: logger)
    }

    /// Where the admin token of this node is kept (0600), created on first start.
    public var adminTokenPath: String { "\(configuration.dataDirectory)/admin.token" }

    private func ensureAdminToken() async throws {
        guard !FileManager.default.fileExists(atPath: adminTokenPath) else { return }
        let (_, token) = try await tokens.create(name: "admin (created on first start)", scopes: [.admin])
        try AtomicFile.write(token + "\n", to: adminTokenPath)
        logger.notice("created admin token", metadata: ["path": "\(adminTokenPath)"])
    }

    var ingest: FileIngest { FileIngest(blockStore: blockStore, metadata: metadata, guardian: guardian) }

    /// The router with every route of the v1 API plus the operational ones.
    public func makeRouter() -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: BearerTokenMiddleware(tokens: tokens))
        OperationalRoutes.add(
            to: router, service: .storage, version: Self.version,
            readiness: [
                ReadinessCheck(name: "database") { [database] in try await database.ping() },
                ReadinessCheck(name: "blocks") { [blockStore] in
                    guard access(blockStore.root, W_OK) == 0 else { throw StorageError.unavailable("block directory not writable") }
                },
            ],
            metrics: MetricsBootstrap.registry)
        addFileRoutes(to: router)
        addBlockRoutes(to: router)
        addCARRoutes(to: router)
        addGatewayRoutes(to: router)
        addPinRoutes(to: router)
        addAdminRoutes(to: router)
        addProofRoutes(to: router)
        addJobRoutes(to: router)
        addInternalRoutes(to: router)
        return router
    }

    /// The HTTPS server as a lifecycle service. `onRunning` receives the bound port.
    public func makeServer(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some Service {
        try ServiceServer.make(router: makeRouter(), tls: tls, host: configuration.host, port: configuration.port,
                               serverName: "pakit-storage", logger: logger) { port in
            self.listeningPort.store(port, ordering: .relaxed)
            await onRunning(port)
        }
    }

    /// The durable job worker (seal and proof jobs) as a lifecycle service: run it beside the server
    /// (it resumes unfinished jobs at start and hands interrupted ones back at shutdown).
    public func makeJobRunner() -> some Service { jobRunner }

    /// Start-up reconciliation of metadata and block store, run after the server is up so a
    /// restart does not wait for a scan of every block file.
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
