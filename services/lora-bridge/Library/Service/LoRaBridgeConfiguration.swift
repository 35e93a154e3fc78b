import Foundation
import PakitConfiguration
import PakitContracts
import PakitCore
import PakitService

/// The LoRa bridge's own settings, beside the common ones (`pakit-lora-bridge --help`).
public struct LoRaBridgeConfiguration: ServiceConfiguration {
    public static let service = ServiceName.loraBridge
    /// Transfers and the fragments that arrived (and, later, the Mesh-pallet queue).
    public static let database: DatabaseDefault? = DatabaseDefault(relativePath: "lora-bridge/bridge.sqlite")
    public static let settings: [Setting] = [
        Setting("radio", env: "PAKIT_LORA_RADIO", default: nil,
                help: "the Meshtastic device: HOST:PORT of its client API (meshtasticd, a networked device or pakit-lora-sim; port 4403 by default) or a serial device path (/dev/ttyUSB0)"),
        Setting("radio-time-scale", env: "PAKIT_LORA_RADIO_TIME_SCALE", default: "1",
                help: "device time runs this many times faster than the wall clock: 1 for real radios; the simulator's --speed when it runs faster"),
        Setting("storage-url", env: "PAKIT_LORA_STORAGE_URL", default: nil,
                help: "this node's storage (blocks served to and fetched from radio peers); default: <data-dir>/storage.url"),
        Setting("bulk-share", env: "PAKIT_LORA_BULK_SHARE", default: "50",
                help: "percent of the region's duty cycle that bulk traffic (file fragments, index announcements) may use; requests and alerts may use all of it"),
        Setting("index-interval", env: "PAKIT_LORA_INDEX_INTERVAL", default: "60",
                help: "seconds of device time between reads of the pinned roots; changes are announced to radio peers then"),
        Setting("index-heartbeat", env: "PAKIT_LORA_INDEX_HEARTBEAT", default: "900",
                help: "the longest interval, in seconds of device time, between announcements of an unchanged index (after a change they start at --index-interval and double; peers that missed an update notice and resync)"),
        Setting("alert-keys", env: "PAKIT_LORA_ALERT_KEYS", default: nil,
                help: "comma-separated hex Ed25519 public keys whose emergency alerts are marked trusted (this node's own always are)"),
        Setting("chain-relay-url", env: "PAKIT_LORA_CHAIN_RELAY", default: nil,
                help: "this node's chain relay, which takes the Mesh-pallet calls this bridge queues (a gateway); default: <data-dir>/chain-relay.url"),
        Setting("mesh-heartbeat", env: "PAKIT_LORA_MESH_HEARTBEAT", default: "300",
                help: "seconds between Mesh.node_heartbeat calls once this node is registered (the pallet's timeout is 100 blocks, 10 minutes); 0 sends none"),
        Setting("node-key", env: "PAKIT_LORA_NODE_KEY", default: nil,
                help: "the node's Ed25519 key file, which signs its emergency alerts; default: <data-dir>/keys/node-ed25519.key"),
    ]

    public let common: CommonSettings
    public var radio: RadioEndpoint
    public var timeScale: Double
    public var storageURL: String?
    public var bulkShare: Double
    public var indexIntervalMs: Double
    public var indexHeartbeatMs: Double
    public var trustedAlertKeys: Set<[UInt8]>
    public var nodeKey: String?
    public var chainRelayURL: String?
    public var meshHeartbeatSeconds: Double

    public var dataDirectory: String { common.dataDirectory }

    public init(common: CommonSettings, settings: Settings) throws(ConfigurationError) {
        self.common = common
        guard let text = settings.optionalString("radio") else {
            throw settings.invalid("radio", "is required: HOST:PORT of a Meshtastic device's client API or a serial device path")
        }
        do { radio = try RadioEndpoint(parsing: text) } catch { throw settings.invalid("radio", "\(error)") }
        let scale = try settings.string("radio-time-scale")
        guard let value = Double(scale), value.isFinite, value >= 0.001, value <= 10_000 else {
            throw settings.invalid("radio-time-scale", "'\(scale.prefix(40))' is not a number in [0.001, 10000]")
        }
        timeScale = value
        if let url = settings.optionalString("storage-url") {
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.utf8.count <= 2048 else {
                throw settings.invalid("storage-url", "'\(url.prefix(80))' is not an http(s) URL")
            }
            storageURL = url
        }
        bulkShare = Double(try settings.int("bulk-share", in: 1...100)) / 100
        indexIntervalMs = Double(try settings.int("index-interval", in: 1...86_400)) * 1000
        indexHeartbeatMs = Double(try settings.int("index-heartbeat", in: 10...86_400)) * 1000
        var keys: Set<[UInt8]> = []
        for text in (settings.optionalString("alert-keys") ?? "").split(separator: ",") {
            let hex = text.trimmingCharacters(in: .whitespaces)
            guard let bytes = Hex.decode(hex), bytes.count == 32 else {
                throw settings.invalid("alert-keys", "'\(hex.prefix(80))' is not a hex Ed25519 public key (64 hex digits)")
            }
            keys.insert(bytes)
        }
        trustedAlertKeys = keys
        nodeKey = settings.optionalString("node-key")
        if let url = settings.optionalString("chain-relay-url") {
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), url.utf8.count <= 2048 else {
                throw settings.invalid("chain-relay-url", "'\(url.prefix(80))' is not an http(s) URL")
            }
            chainRelayURL = url
        }
        meshHeartbeatSeconds = Double(try settings.int("mesh-heartbeat", in: 0...86_400))
    }
}
