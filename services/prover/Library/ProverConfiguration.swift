import Foundation
import Logging
import PakitConfiguration
import PakitService
import PakitZK
import PakitContracts
import PakitTLS

/// The prover's own settings, beside the common ones (`pakit-prover --help` prints both).
public struct ProverConfiguration: ServiceConfiguration {
    public static let service = ServiceName.prover
    public static let settings: [Setting] = [
        Setting("instance", env: "PAKIT_PROVER_INSTANCE", default: nil, help: "this instance's name in answers and logs; default: the host name"),
        Setting("circuits", env: "PAKIT_PROVER_CIRCUITS", default: "storage-single,storage-batch-100", help: "circuits to serve, comma-separated: storage-single, storage-batch-<n> (n = 1…\(StorageCircuit.maximumBatchSize))"),
        Setting("mode", env: "PAKIT_PROVER_MODE", default: ProverMode.development.rawValue, help: "development (seeded keys, labelled insecure) or production (ceremony keys from keys-dir only; development keys refused)"),
        Setting("key-seed", env: "PAKIT_PROVER_KEY_SEED", default: "pakit-development", help: "development mode: public seed of the key setup; circuit c uses \"<key-seed>/<c>\""),
        Setting("keys-dir", env: "PAKIT_PROVER_KEYS_DIR", default: nil, help: "proving keys, <circuit>.pk (0600); development keys are cached here; default <data-dir>/keys"),
        Setting("max-concurrent-proofs", env: "PAKIT_PROVER_MAX_CONCURRENT_PROOFS", default: "1", help: "proofs computed at once (one proof already uses two cores)"),
        Setting("max-queued", env: "PAKIT_PROVER_MAX_QUEUED", default: "16", help: "proofs (and seals) waiting for a slot; beyond that 503 busy with Retry-After"),
        Setting("max-concurrent-seals", env: "PAKIT_PROVER_MAX_CONCURRENT_SEALS", default: "2", help: "seals computed at once (each holds its tree, up to 45 MB, in memory)"),
    ]

    public let common: CommonSettings
    public var instance: String
    public var circuits: [StorageCircuit]
    public var mode: ProverMode
    public var keySeed: String
    public var keysDirectory: String
    public var maxConcurrentProofs: Int
    public var maxQueued: Int
    public var maxConcurrentSeals: Int

    public var dataDirectory: String { common.dataDirectory }

    public init(common: CommonSettings, settings: Settings) throws(ConfigurationError) {
        self.common = common
        let dataDirectory = common.dataDirectory
        if let instance = settings.optionalString("instance") {
            guard instance.utf8.count <= 64, instance.utf8.allSatisfy(Self.isNameByte) else {
                throw settings.invalid("instance", "use 1…64 ASCII letters, digits, '-', '_' or '.'")
            }
            self.instance = instance
        } else {
            let host = String(decoding: ProcessInfo.processInfo.hostName.utf8.map { Self.isNameByte($0) ? $0 : UInt8(ascii: "-") }.prefix(64), as: UTF8.self)
            self.instance = host.isEmpty ? "prover" : host
        }

        var circuits: [StorageCircuit] = []
        for name in try settings.string("circuits").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let circuit = StorageCircuit(name: name) else {
                throw settings.invalid("circuits", "'\(name)' is not storage-single or storage-batch-<n> with n in 1…\(StorageCircuit.maximumBatchSize)")
            }
            if !circuits.contains(circuit) { circuits.append(circuit) }
        }
        guard !circuits.isEmpty else { throw settings.invalid("circuits", "name at least one circuit") }
        self.circuits = circuits
        guard let mode = ProverMode(rawValue: try settings.oneOf("mode", ProverMode.allCases.map(\.rawValue))) else {
            throw settings.invalid("mode", "unknown mode")
        }
        self.mode = mode
        keySeed = try settings.string("key-seed")
        keysDirectory = settings.optionalString("keys-dir").map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            ?? "\(dataDirectory)/keys"
        maxConcurrentProofs = try settings.int("max-concurrent-proofs", in: 1...64)
        maxQueued = try settings.int("max-queued", in: 0...10_000)
        maxConcurrentSeals = try settings.int("max-concurrent-seals", in: 1...64)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): true
        default: false
        }
    }

    /// The proving-key file of `circuit`.
    public func keyPath(for circuit: StorageCircuit) -> String { "\(keysDirectory)/\(circuit.name).pk" }

    /// The fingerprint of the circuit a key file was made for (see `CircuitFingerprint`).
    public func fingerprintPath(for circuit: StorageCircuit) -> String { "\(keysDirectory)/\(circuit.name).fingerprint" }

    /// The development-setup seed of `circuit`: `<key-seed>/<circuit>`.
    public func seed(for circuit: StorageCircuit) -> String { "\(keySeed)/\(circuit.name)" }

}

/// Where the keys may come from.
public enum ProverMode: String, Sendable, CaseIterable {
    /// Seeded single-party setups (derived and cached on first start); insecure, for
    /// development and CI. Keys found in keys-dir are used as they are.
    case development
    /// Keys must be files in keys-dir produced by a ceremony or an import; development keys
    /// are refused, at start-up and in `POST /v1/verify`.
    case production
}
