import Foundation
import PakitConfiguration
import PakitContracts
import PakitCore
import PakitService

/// The chain relay's own settings, beside the common ones (`pakit-chain-relay --help`).
public struct ChainRelayConfiguration: ServiceConfiguration {
    public static let service = ServiceName.chainRelay
    /// Signed, unfinalized submissions at most, by default: a block of ≈ 1,100 proofs at a
    /// finality lag of 2 needs ≈ 3,300 in flight (docs/benchmarks.md).
    public static let defaultMaximumInFlight = 4096
    /// The outbox, the nonce allocator and the scan checkpoint.
    public static let database: DatabaseDefault? = DatabaseDefault(relativePath: "chain-relay/outbox.sqlite")
    public static let settings: [Setting] = [
        Setting("chain-url", env: "PAKIT_CHAIN_URL", default: nil,
                help: "the BelizeChain node's WebSocket JSON-RPC URL (ws:// or wss://); without one, submissions wait in the outbox"),
        Setting("chain-genesis", env: "PAKIT_CHAIN_GENESIS", default: nil,
                help: "the genesis hash (0x…) of the chain to sign for; a node on another chain is refused (default: the first chain seen, kept in the outbox)"),
        Setting("key-file", env: "PAKIT_CHAIN_RELAY_KEY_FILE", default: nil,
                help: "the relay account's ed25519 seed (base64 or 0x-hex, mode 0600); default <data-dir>/keys/chain-relay-ed25519.key, created when missing"),
        Setting("era-period", env: "PAKIT_CHAIN_ERA_PERIOD", default: "64", help: "blocks a signed transaction stays valid (4…65536, rounded up to a power of two)"),
        Setting("max-in-flight", env: "PAKIT_CHAIN_MAX_IN_FLIGHT", default: "\(defaultMaximumInFlight)", help: "signed, unfinalized submissions at most; the rest wait in the outbox (a block of ≈ 1,100 proofs needs ≈ 1,100 × (finality lag + 1))"),
    ]

    public let common: CommonSettings
    public var chainURL: String?
    public var chainGenesis: [UInt8]?
    public var keyFile: String
    public var keyFileGiven: Bool
    public var eraPeriod: UInt64
    public var maximumInFlight: Int

    public var dataDirectory: String { common.dataDirectory }

    public init(common: CommonSettings, settings: Settings) throws(ConfigurationError) {
        self.common = common
        if let url = settings.optionalString("chain-url") {
            guard let parsed = URL(string: url), ["ws", "wss"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw settings.invalid("chain-url", "'\(url.prefix(80))' is not a ws:// or wss:// URL")
            }
            chainURL = url
        }
        if let genesis = settings.optionalString("chain-genesis") {
            guard let bytes = Hex.decode(genesis), bytes.count == 32 else { throw settings.invalid("chain-genesis", "is a 32-byte hash in hex") }
            chainGenesis = bytes
        }
        if let file = settings.optionalString("key-file") {
            keyFile = URL(fileURLWithPath: file).standardizedFileURL.path
            keyFileGiven = true
        } else {
            keyFile = RelayKey.defaultPath(dataDirectory: common.dataDirectory)
            keyFileGiven = false
        }
        eraPeriod = UInt64(try settings.int("era-period", in: 4...65536))
        maximumInFlight = try settings.int("max-in-flight", in: 1...100_000)
    }
}
