import Foundation
import PakitConfiguration
import PakitContracts
import PakitService
import PakitZK

/// The storage service's own settings, beside the common ones (`pakit-storage --help` prints both).
public struct StorageConfiguration: ServiceConfiguration {
    public static let service = ServiceName.storage
    public static let database: DatabaseDefault? = DatabaseDefault(relativePath: "storage/metadata.sqlite")
    public static let settings: [Setting] = [
        Setting("block-dir", env: "PAKIT_BLOCK_DIR", default: nil, help: "block files; default <data-dir>/storage/blocks"),
        Setting("max-upload", env: "PAKIT_MAX_UPLOAD", default: "64GiB", help: "largest accepted upload or CAR (413 beyond)"),
        Setting("max-car-blocks", env: "PAKIT_MAX_CAR_BLOCKS", default: "1048576", help: "most blocks one CAR import may hold (413 beyond)"),
        Setting("verify-rate", env: "PAKIT_VERIFY_RATE", default: "20", help: "proof verifications per second one client may ask for (bursts of twice that); 429 beyond"),
        Setting("private", env: "PAKIT_PRIVATE", default: "false", help: "when true, reading content also needs a read token or a share link"),
        Setting("default-profile", env: "PAKIT_DEFAULT_PROFILE", default: ChunkingProfile.unixfsV1.rawValue, help: "chunking profile when an upload names none: \(ChunkingProfile.allCases.map(\.rawValue).joined(separator: ", "))"),
        Setting("mesh-gateway", env: "PAKIT_STORAGE_MESH_GATEWAY", default: "", help: "this node's mesh gateway (https://host:port): pinned roots are announced to it; empty = not announced"),
        Setting("chain-relay", env: "PAKIT_STORAGE_CHAIN_RELAY", default: "", help: "this node's chain relay (https://host:port): 'pakit anchor' submits through it; empty = no anchoring"),
        Setting("quota-planck-per-mib", env: "PAKIT_STORAGE_QUOTA_PLANCK_PER_MIB", default: "0", help: "DALLA (in Planck) a payer pays the relay's account per MiB of quota; 0 = payments are not credited"),
        Setting("site-domain", env: "PAKIT_STORAGE_SITE_DOMAIN", default: nil, help: "a domain this node serves .bz sites under too: Host NAME.bz.<site-domain> is the site NAME.bz"),
        Setting("site-cache-seconds", env: "PAKIT_STORAGE_SITE_CACHE_SECONDS", default: "5", help: "how long a .bz name's record is reused before the relay is asked again (0…3600)"),
        Setting("fetch-from-peers", env: "PAKIT_FETCH_FROM_PEERS", default: "true", help: "when a read needs a block this node lacks, fetch it from the peers the mesh gateway names (needs mesh-gateway)"),
        Setting("fetch-timeout", env: "PAKIT_FETCH_TIMEOUT", default: "30", help: "seconds a fetch of one missing block may take before the read ends with 504"),
        Setting("upstream-gateways", env: "PAKIT_UPSTREAM_GATEWAYS", default: "", help: "IPFS trustless gateways (https://…), comma-separated, asked for a missing block after the peers; empty = none"),
        Setting("test-corrupt-served-blocks", env: "PAKIT_TEST_CORRUPT_SERVED_BLOCKS", default: "false", help: "TEST ONLY: serve blocks (raw: /ipfs/{cid}?format=raw, /v1/blocks; and in CARs) with one byte changed, to play a dishonest provider"),
        Setting("replication-factor", env: "PAKIT_REPLICATION_FACTOR", default: "1", help: "copies of a pinned DAG wanted in the network when a pin names none, this node's included (1…16); above 1 the node asks other live nodes to hold replicas"),
        Setting("replica-grace", env: "PAKIT_REPLICA_GRACE", default: "30", help: "seconds a replica's node may be dead before another node is asked to replace it"),
        Setting("accept-replicas", env: "PAKIT_ACCEPT_REPLICAS", default: "true", help: "hold replicas other nodes ask for (false: refuse them)"),
        Setting("replica-quota", env: "PAKIT_REPLICA_QUOTA", default: "0", help: "bytes of replicas held for other nodes at most (0 = no limit); a request beyond it is refused with a reason"),
        Setting("provers", env: "PAKIT_STORAGE_PROVERS", default: "", help: "prover base URLs (https://host:port), comma-separated; empty = proof endpoints answer 503"),
        Setting("proof-batch-size", env: "PAKIT_PROOF_BATCH_SIZE", default: "\(StorageProofParameters.defaultBatchSize)", help: "challenges in a batch proof; the provers must serve circuit storage-batch-<n>"),
        Setting("proof-attempts", env: "PAKIT_PROOF_ATTEMPTS", default: "5", help: "prover requests a seal or proof job may make before it is marked failed"),
        Setting("prover-timeout", env: "PAKIT_PROVER_TIMEOUT", default: "900", help: "seconds one prover request may take before it is retried on another prover"),
    ]

    public let common: CommonSettings
    public var blockDirectory: String
    public var maxUploadBytes: Int64
    public var maxCARBlocks: Int
    public var verifyRate: Int
    public var isPrivate: Bool
    var defaultProfile: ChunkingProfile
    /// Prover base URLs, without a trailing slash.
    public var provers: [String]
    /// This node's mesh gateway, told which roots the node holds; nil: no announcements.
    public var meshGateway: String?
    public var chainRelay: String?
    public var siteDomain: String?
    public var quotaPlanckPerMiB: Int
    public var siteCacheSeconds: Int
    /// Fetch missing blocks from peers (only with a mesh gateway).
    public var fetchFromPeers: Bool
    public var fetchTimeoutSeconds: Int
    /// Trustless gateways asked after the peers, without a trailing slash.
    public var upstreamGateways: [String]
    /// Copies wanted for a pin that names none (1…16).
    public var replicationFactor: Int
    public var replicaGraceSeconds: Int
    public var acceptReplicas: Bool
    /// Bytes of replicas held for others at most; 0: no limit.
    public var replicaQuota: Int64
    /// Test only: blocks are served (raw and in CARs) with one byte changed.
    public var corruptServedBlocks: Bool
    public var proofBatchSize: Int
    public var proofAttempts: Int
    public var proverTimeoutSeconds: Int

    public var dataDirectory: String { common.dataDirectory }
    /// `CommonSettings` fills in the default, since storage declares a database.
    public let databaseURL: String

    public init(common: CommonSettings, settings: Settings) throws(ConfigurationError) {
        self.common = common
        guard let databaseURL = common.databaseURL else { throw ConfigurationError("storage needs a database URL") }
        self.databaseURL = databaseURL
        blockDirectory = settings.optionalString("block-dir") ?? "\(common.dataDirectory)/storage/blocks"
        maxUploadBytes = try settings.byteSize("max-upload")
        maxCARBlocks = try settings.int("max-car-blocks", in: 1...(1 << 30))
        verifyRate = try settings.int("verify-rate", in: 1...100_000)
        isPrivate = try settings.bool("private")
        guard let profile = ChunkingProfile(rawValue: try settings.oneOf("default-profile", ChunkingProfile.allCases.map(\.rawValue))) else {
            throw settings.invalid("default-profile", "unknown profile")
        }
        defaultProfile = profile
        provers = try Self.urls(settings, "provers")
        upstreamGateways = try Self.urls(settings, "upstream-gateways")
        fetchFromPeers = try settings.bool("fetch-from-peers")
        fetchTimeoutSeconds = try settings.int("fetch-timeout", in: 1...3_600)
        corruptServedBlocks = try settings.bool("test-corrupt-served-blocks")
        replicationFactor = try settings.int("replication-factor", in: 1...Self.maximumReplicas)
        replicaGraceSeconds = try settings.int("replica-grace", in: 1...86_400)
        acceptReplicas = try settings.bool("accept-replicas")
        replicaQuota = try settings.byteSize("replica-quota")
        if replicationFactor > 1, meshGateway == nil {
            throw settings.invalid("replication-factor", "replicas need a mesh gateway (set mesh-gateway), or keep the factor at 1")
        }
        var gateway = (settings.optionalString("mesh-gateway") ?? "").trimmingCharacters(in: .whitespaces)
        while gateway.hasSuffix("/") { gateway.removeLast() }
        if !gateway.isEmpty {
            guard gateway.hasPrefix("https://"), URL(string: gateway)?.host != nil else {
                throw settings.invalid("mesh-gateway", "'\(gateway.prefix(80))' is not an https:// URL")
            }
            meshGateway = gateway
        }
        if let domain = settings.optionalString("site-domain")?.lowercased() {
            guard domain.utf8.count <= 200, !domain.hasPrefix("."), !domain.hasSuffix("."),
                  domain.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x2E }) else {
                throw settings.invalid("site-domain", "'\(domain.prefix(80))' is not a DNS name")
            }
            siteDomain = domain
        }
        siteCacheSeconds = try settings.int("site-cache-seconds", in: 0...3600)
        quotaPlanckPerMiB = try settings.int("quota-planck-per-mib", in: 0...Int.max)
        var relay = (settings.optionalString("chain-relay") ?? "").trimmingCharacters(in: .whitespaces)
        while relay.hasSuffix("/") { relay.removeLast() }
        if !relay.isEmpty {
            guard relay.hasPrefix("https://"), URL(string: relay)?.host != nil else {
                throw settings.invalid("chain-relay", "'\(relay.prefix(80))' is not an https:// URL")
            }
            chainRelay = relay
        }
        proofBatchSize = try settings.int("proof-batch-size", in: 1...BatchChunkCircuit.maximumCount)
        proofAttempts = try settings.int("proof-attempts", in: 1...100)
        proverTimeoutSeconds = try settings.int("prover-timeout", in: 1...86_400)
    }

    /// Most copies a pin may ask for.
    public static let maximumReplicas = 16

    /// A comma-separated list of https:// base URLs, without trailing slashes or repeats.
    private static func urls(_ settings: Settings, _ name: String) throws(ConfigurationError) -> [String] {
        var urls: [String] = []
        for entry in (settings.optionalString(name) ?? "").split(separator: ",") {
            var url = entry.trimmingCharacters(in: .whitespaces)
            while url.hasSuffix("/") { url.removeLast() }
            guard !url.isEmpty else { continue }
            guard url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw settings.invalid(name, "'\(url.prefix(80))' is not an https:// URL")
            }
            if !urls.contains(url) { urls.append(url) }
        }
        return urls
    }
}
