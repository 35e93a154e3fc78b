import Foundation
import Hummingbird
import Logging
import PakitContracts
import PakitHTTPClient
import PakitHTTPServer
import PakitIdentity
import PakitService
import PakitSQL
import ServiceLifecycle

/// One running LoRa bridge: the device connection and the bridge's engine. `ServiceMain` (the
/// `pakit-lora-bridge` executable) and the tests run it through `ServiceHost`.
public final class LoRaBridgeNode: PakitService {
    public static let name = ServiceName.loraBridge
    public static let version = "0.1.0"

    public let configuration: LoRaBridgeConfiguration
    public let bridge: LoRaBridge
    public let meshQueue: MeshPalletQueue
    let database: any SQLDatabase
    let client: ServiceClient
    let logger: Logger

    public static func open(_ configuration: LoRaBridgeConfiguration, logger: Logger) async throws -> LoRaBridgeNode {
        let client = ServiceClient(tls: try configuration.common.tls.clientConfiguration(), timeout: .seconds(30))
        let explicit = configuration.storageURL
        let file = "\(configuration.dataDirectory)/storage.url"
        let blocks = StorageBlocks(client: client) {
            if let explicit { return explicit }
            let text = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return text.isEmpty ? nil : text
        }
        let relayFile = "\(configuration.dataDirectory)/chain-relay.url"
        let explicitRelay = configuration.chainRelayURL
        let relayURL: @Sendable () -> String? = {
            if let explicitRelay { return explicitRelay }
            let text = (try? String(contentsOfFile: relayFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            return text.isEmpty ? nil : text
        }
        let url = configuration.common.databaseURL ?? "sqlite:\(configuration.dataDirectory)/lora-bridge/bridge.sqlite"
        if url.hasPrefix("sqlite:") {
            try FileManager.default.createDirectory(atPath: (String(url.dropFirst(7)) as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let identity = try configuration.nodeKey.map { try NodeIdentity.loadOrCreate(file: $0) }
            ?? NodeIdentity.loadOrCreate(in: "\(configuration.dataDirectory)/keys")
        let database = try await SQLDatabases.open(url: url, logger: logger)
        do {
            try await Migrator.migrate(database, schema: "lora", migrations: BridgeSchema.migrations, logger: logger)
        } catch {
            await database.close()
            await client.shutdown()
            throw error
        }
        let device = MeshtasticDevice(endpoint: configuration.radio, timeScale: configuration.timeScale, logger: logger)
        let bridge = LoRaBridge(
            device: device, blocks: blocks, database: database, identity: identity,
            settings: .init(timeScale: configuration.timeScale, bulkShare: configuration.bulkShare, indexIntervalMs: configuration.indexIntervalMs,
                            indexHeartbeatMs: configuration.indexHeartbeatMs, trustedAlertKeys: configuration.trustedAlertKeys),
            logger: logger
        )
        do { try await bridge.restore() } catch {
            await database.close()
            await client.shutdown()
            throw error
        }
        let meshQueue = MeshPalletQueue(store: MeshQueueStore(database: database), client: client, relayURL: relayURL,
                                        heartbeatIntervalSeconds: configuration.meshHeartbeatSeconds, logger: logger)
        await meshQueue.attach(bridge)
        await bridge.attach(meshQueue)
        return LoRaBridgeNode(configuration: configuration, bridge: bridge, meshQueue: meshQueue, database: database, client: client, logger: logger)
    }

    private init(configuration: LoRaBridgeConfiguration, bridge: LoRaBridge, meshQueue: MeshPalletQueue, database: any SQLDatabase,
                 client: ServiceClient, logger: Logger) {
        self.configuration = configuration
        self.bridge = bridge
        self.meshQueue = meshQueue
        self.database = database
        self.client = client
        self.logger = logger
    }

    public func addRoutes(to router: Router<ServiceRequestContext>) {
        addRadioRoutes(to: router)
    }

    public var readinessChecks: [ReadinessCheck] {
        [
            ReadinessCheck(name: "database") { [database] in try await database.ping() },
            ReadinessCheck(name: "radio") { [bridge] in
                guard await bridge.status().connected else {
                    throw ServiceError(.serviceUnavailable, "radio_unavailable", "the Meshtastic device at \(bridge.device.endpoint) is not connected")
                }
            },
        ]
    }

    public func backgroundServices() -> [any Service] {
        [BridgeService(bridge: bridge), IndexAnnouncer(bridge: bridge), MeshQueueService(queue: meshQueue)]
    }

    public func close() async {
        await client.shutdown()
        await database.close()
    }
}

/// Announces this node's index to radio peers until shutdown.
struct IndexAnnouncer: Service {
    let bridge: LoRaBridge

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await bridge.announceIndex()
        }
    }
}

/// Hands queued Mesh-pallet calls on, and queues heartbeats, until shutdown.
struct MeshQueueService: Service {
    let queue: MeshPalletQueue

    func run() async throws {
        await cancelWhenGracefulShutdown {
            async let delivering: Void = queue.run()
            async let beating: Void = queue.heartbeats()
            _ = await (delivering, beating)
        }
    }
}

/// Runs the bridge beside the server until shutdown.
struct BridgeService: Service {
    let bridge: LoRaBridge

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await bridge.run()
        }
    }
}
