import Foundation
import Logging
import NIOCore
import NIOPosix
import PakitMeshtastic

/// A simulated Meshtastic LoRa mesh: a development stand-in for radios a build machine cannot
/// have. Each simulated device serves the real client stream API on its own TCP port, so the
/// bridge (or the official Python client) talks to it exactly as to meshtasticd or a device on
/// the network.
public final class LoRaSimulator: Sendable {
    public struct Configuration: Sendable {
        public var topology: Topology
        public var host: String
        /// First TCP port; node i listens on basePort + i. 0 = any free ports.
        public var basePort: Int
        /// Simulated time runs this many times faster than the wall clock.
        public var speed: Double
        /// Start with node databases as a long-running mesh has them (otherwise nodes learn
        /// each other from NodeInfo broadcasts).
        public var preloadNodeDB: Bool
        public var nodeInfoBroadcasts: Bool

        public init(
            topology: Topology, host: String = "127.0.0.1", basePort: Int = 0, speed: Double = 1,
            preloadNodeDB: Bool = true, nodeInfoBroadcasts: Bool = true
        ) {
            self.topology = topology
            self.host = host
            self.basePort = basePort
            self.speed = speed
            self.preloadNodeDB = preloadNodeDB
            self.nodeInfoBroadcasts = nodeInfoBroadcasts
        }
    }

    public struct Node: Sendable, Codable {
        public var index: Int
        public var number: UInt32
        public var port: Int
    }

    public let configuration: Configuration
    public let nodes: [Node]
    let medium: RadioMedium
    private let servers: [DeviceServer.Server]
    private let logger: Logger

    private init(configuration: Configuration, nodes: [Node], medium: RadioMedium, servers: [DeviceServer.Server], logger: Logger) {
        self.configuration = configuration
        self.nodes = nodes
        self.medium = medium
        self.servers = servers
        self.logger = logger
    }

    /// Binds every device's port; `run()` then serves them.
    public static func start(_ configuration: Configuration, logger: Logger = Logger(label: "pakit.lora-sim")) async throws -> LoRaSimulator {
        guard configuration.speed > 0, configuration.speed <= 10_000, configuration.speed.isFinite else {
            throw TopologyError.invalid("speed must be in (0, 10000]")
        }
        let clock = SimulationClock(speed: configuration.speed)
        let medium = RadioMedium(
            topology: configuration.topology, clock: clock, preloadNodeDB: configuration.preloadNodeDB, logger: logger
        )
        let numbers = await medium.nodeNumbers
        var servers: [DeviceServer.Server] = []
        var nodes: [Node] = []
        for index in numbers.indices {
            let port = configuration.basePort == 0 ? 0 : configuration.basePort + index
            let server = try await DeviceServer.bind(host: configuration.host, port: port, group: MultiThreadedEventLoopGroup.singleton)
            servers.append(server)
            nodes.append(Node(index: index, number: numbers[index], port: server.channel.localAddress?.port ?? port))
        }
        await medium.start(nodeInfoBroadcasts: configuration.nodeInfoBroadcasts, preloaded: configuration.preloadNodeDB)
        return LoRaSimulator(configuration: configuration, nodes: nodes, medium: medium, servers: servers, logger: logger)
    }

    /// Serves every device and runs the air until the task is cancelled.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.medium.run() }
            for (index, server) in servers.enumerated() {
                let device = DeviceServer(node: index, medium: medium, logger: logger)
                group.addTask { try await device.serve(server) }
            }
            try await withTaskCancellationHandler {
                try await group.next()
            } onCancel: {
                Task { await self.medium.stop() }
            }
            group.cancelAll()
        }
    }

    public func report() async -> [SimulatedNodeReport] { await medium.report() }

    public func setLoss(_ loss: Double) async { await medium.setLoss(loss) }

    public var simulatedMilliseconds: Double {
        get async { await medium.simulatedNow }
    }
}

/// One simulated device's airtime, duty cycle and counters.
public struct SimulatedNodeReport: Codable, Sendable {
    public var index: Int
    public var number: UInt32
    public var airtimeLastHourMs: Double
    public var dutyCyclePercentUsed: Double
    public var channelUtilizationPercent: Double
    public var queued: Int
    public var knownNodes: Int
    public var counters: DeviceCounters
}
