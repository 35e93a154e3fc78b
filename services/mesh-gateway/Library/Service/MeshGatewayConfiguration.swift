import Foundation
import NIOCore
import PakitConfiguration
import PakitContracts
import PakitService

/// The mesh-gateway's own settings, beside the common ones (`pakit-mesh-gateway --help`).
public struct MeshGatewayConfiguration: ServiceConfiguration {
    public static let service = ServiceName.meshGateway
    /// The provider index (announcements and who holds what).
    public static let database: DatabaseDefault? = DatabaseDefault(relativePath: "mesh-gateway/providers.sqlite")
    /// memberlist's port, the conventional one for SWIM over UDP.
    public static let defaultMeshPort = 7946
    public static let settings: [Setting] = [
        Setting("mesh-host", env: "PAKIT_MESH_HOST", default: nil, help: "address the UDP mesh socket binds; default: --host"),
        Setting("mesh-port", env: "PAKIT_MESH_PORT", default: "\(defaultMeshPort)", help: "UDP port of the mesh (0 = any free port)"),
        Setting("mesh-advertise", env: "PAKIT_MESH_ADVERTISE", default: nil, help: "IP:port other nodes send mesh packets to; default: mesh host and bound port (required when binding 0.0.0.0 or ::)"),
        Setting("seeds", env: "PAKIT_MESH_SEEDS", default: "", help: "gateway URLs of nodes to join through (https://host:port), comma-separated; each is tried until one answers"),
        Setting("node-key", env: "PAKIT_MESH_NODE_KEY", default: nil, help: "the node's Ed25519 key file (0600; its peer ID names the node); default <data-dir>/keys/node-ed25519.key, created when missing"),
        Setting("storage-url", env: "PAKIT_MESH_STORAGE_URL", default: nil, help: "this node's storage URL in its signed record; default: <data-dir>/storage.url when present"),
        Setting("probe-interval-ms", env: "PAKIT_MESH_PROBE_INTERVAL_MS", default: "500", help: "SWIM probe interval in milliseconds (× the local health multiplier)"),
        Setting("probe-timeout-ms", env: "PAKIT_MESH_PROBE_TIMEOUT_MS", default: "150", help: "wait for a direct ack before indirect probes, milliseconds"),
        Setting("push-pull-interval-ms", env: "PAKIT_MESH_PUSH_PULL_INTERVAL_MS", default: "10000", help: "state exchange with one random member every this many milliseconds"),
        Setting("heartbeat-ms", env: "PAKIT_MESH_HEARTBEAT_MS", default: "200", help: "announcement-mesh heartbeat in milliseconds (mesh upkeep, IHAVE gossip, score decay)"),
        Setting("prune-backoff-ms", env: "PAKIT_MESH_PRUNE_BACKOFF_MS", default: "60000", help: "how long a pruned peer must wait before grafting again, milliseconds"),
        Setting("packet-rate", env: "PAKIT_MESH_PACKET_RATE", default: "50", help: "mesh packets per second accepted from one source address (bursts of twice that); more are dropped before their signature is checked"),
    ]

    public let common: CommonSettings
    public var meshHost: String
    public var meshPort: Int
    public var meshAdvertise: String?
    public var seeds: [String]
    public var storageURL: String?
    public var membership: SWIMSettings
    public var gossip: GossipSettings
    public var packetRate: Double

    public var dataDirectory: String { common.dataDirectory }
    public var nodeKey: String?

    public init(common: CommonSettings, settings: Settings) throws(ConfigurationError) {
        self.common = common
        meshHost = settings.optionalString("mesh-host") ?? common.host
        meshPort = try settings.int("mesh-port", in: 0...65535)
        if let advertise = settings.optionalString("mesh-advertise") {
            guard let address = try? MeshAddress(advertise), (try? SocketAddress(ipAddress: address.host, port: address.port)) != nil else {
                throw settings.invalid("mesh-advertise", "'\(advertise.prefix(80))' is not IP:port (peers send to it without DNS)")
            }
            meshAdvertise = advertise
        } else if ["0.0.0.0", "::", ""].contains(meshHost) {
            throw settings.invalid("mesh-advertise", "binding \(meshHost) needs an address other nodes can reach (IP:port)")
        } else if (try? SocketAddress(ipAddress: meshHost, port: 1)) == nil {
            throw settings.invalid("mesh-host", "'\(meshHost.prefix(80))' is not an IP address; give one, or --mesh-advertise IP:port")
        }
        var seeds: [String] = []
        for seed in (settings.optionalString("seeds") ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !seed.isEmpty {
            guard let url = URL(string: seed), url.scheme == "https", url.host != nil, seed.utf8.count <= PeerRecord.maximumURLLength else {
                throw settings.invalid("seeds", "'\(seed.prefix(80))' is not an https://host:port URL")
            }
            seeds.append(seed.hasSuffix("/") ? String(seed.dropLast()) : seed)
        }
        self.seeds = seeds
        nodeKey = settings.optionalString("node-key").map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if let url = settings.optionalString("storage-url") {
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.utf8.count <= PeerRecord.maximumURLLength else {
                throw settings.invalid("storage-url", "'\(url.prefix(80))' is not an http(s) URL of at most \(PeerRecord.maximumURLLength) bytes")
            }
            storageURL = url
        }
        var membership = SWIMSettings()
        membership.probeInterval = UInt64(try settings.int("probe-interval-ms", in: 50...60_000))
        membership.probeTimeout = UInt64(try settings.int("probe-timeout-ms", in: 10...30_000))
        guard membership.probeTimeout < membership.probeInterval else {
            throw settings.invalid("probe-timeout-ms", "must be shorter than probe-interval-ms (\(membership.probeInterval))")
        }
        membership.pushPullInterval = UInt64(try settings.int("push-pull-interval-ms", in: 1_000...3_600_000))
        self.membership = membership
        packetRate = Double(try settings.int("packet-rate", in: 1...100_000))
        var gossip = GossipSettings()
        gossip.heartbeatInterval = UInt64(try settings.int("heartbeat-ms", in: 20...60_000))
        gossip.pruneBackoff = UInt64(try settings.int("prune-backoff-ms", in: 1_000...3_600_000))
        self.gossip = gossip
    }
}
