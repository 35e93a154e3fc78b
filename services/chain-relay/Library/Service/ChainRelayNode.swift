import Foundation
import Hummingbird
import Logging
import PakitChain
import PakitContracts
import PakitCore
import PakitHTTPServer
import PakitService
import PakitSQL
import ServiceLifecycle

/// One running chain relay: the outbox in its database, the relay account's key, and (when a
/// chain is configured) the submission pipeline talking to a node. `ServiceMain` (the
/// `pakit-chain-relay` executable) and the tests run it through `ServiceHost`.
public final class ChainRelayNode: PakitService {
    public static let name = ServiceName.chainRelay
    public static let version = "0.1.0"

    public let configuration: ChainRelayConfiguration
    let store: OutboxStore
    let signer: ChainSigner
    let pipeline: SubmissionPipeline?
    let logger: Logger

    public static func open(_ configuration: ChainRelayConfiguration, logger: Logger) async throws -> ChainRelayNode {
        let signer = try RelayKey.loadOrCreate(path: configuration.keyFile, create: !configuration.keyFileGiven)
        let url = configuration.common.databaseURL ?? "sqlite:\(configuration.dataDirectory)/chain-relay/outbox.sqlite"
        if url.hasPrefix("sqlite:") {
            try FileManager.default.createDirectory(atPath: (String(url.dropFirst(7)) as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let database = try await SQLDatabases.open(url: url, logger: logger)
        do {
            try await Migrator.migrate(database, schema: "relay", migrations: OutboxStore.migrations, logger: logger)
        } catch {
            await database.close()
            throw error
        }
        let store = OutboxStore(database: database)
        let pipeline = configuration.chainURL.map { chainURL in
            SubmissionPipeline(node: ChainNode(rpc: ChainRPCClient(url: chainURL, logger: logger)), store: store, signer: signer,
                               expectedGenesis: configuration.chainGenesis,
                               settings: .init(eraPeriod: configuration.eraPeriod, maximumInFlight: configuration.maximumInFlight), logger: logger)
        }
        logger.notice("relay account", metadata: ["account": "\(SS58.encode(signer.accountID))", "chain": "\(configuration.chainURL ?? "none configured")"])
        return ChainRelayNode(configuration: configuration, store: store, signer: signer, pipeline: pipeline, logger: logger)
    }

    private init(configuration: ChainRelayConfiguration, store: OutboxStore, signer: ChainSigner, pipeline: SubmissionPipeline?, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.signer = signer
        self.pipeline = pipeline
        self.logger = logger
    }

    public func addRoutes(to router: Router<ServiceRequestContext>) {
        addSubmissionRoutes(to: router)
        addBnsRoutes(to: router)
    }

    public var readinessChecks: [ReadinessCheck] {
        [
            ReadinessCheck(name: "database") { [store] in try await store.database.ping() },
            ReadinessCheck(name: "chain") { [pipeline] in
                // No chain configured, or one unreachable, still accepts submissions (they wait);
                // a refused chain does not: what it would be asked to sign is wrong.
                if let refusal = await pipeline?.refusal { throw ServiceError(.serviceUnavailable, "chain_refused", refusal) }
            },
        ]
    }

    public func backgroundServices() -> [any Service] {
        pipeline.map { [PipelineService(pipeline: $0)] } ?? []
    }

    public func close() async {
        if let pipeline { await pipeline.node.rpc.shutdown() }
        await store.database.close()
    }
}

/// Runs the pipeline beside the server until shutdown.
struct PipelineService: Service {
    let pipeline: SubmissionPipeline

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await pipeline.run()
        }
    }
}
