import Foundation
import Logging
import PakitConcurrency
import PakitConfiguration
import PakitContracts
import PakitFiles
import PakitZK
import Synchronization

/// The keys of every configured circuit: loaded from `keys-dir/<circuit>.pk` when a usable
/// file is there, otherwise (development mode only) derived from the seed and cached there.
///
/// `open` does everything that can fail because of the operator's configuration (missing or
/// refused production keys, unreadable files) synchronously, so start-up fails with a clear
/// message; `prepareMissing` then runs the slow development setups while the server already
/// answers `/health` (and `/ready` says which circuits are not ready yet).
final class KeyStore: Sendable {
    enum Entry: Sendable {
        case pending
        case ready(CircuitKeys)
        case failed(String)
    }

    let configuration: ProverConfiguration
    private let logger: Logger
    private let entries: Mutex<[StorageCircuit: Entry]>
    private let readiness = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    private init(configuration: ProverConfiguration, logger: Logger, entries: [StorageCircuit: Entry]) {
        self.configuration = configuration
        self.logger = logger
        self.entries = Mutex(entries)
    }

    /// Loads every usable key file. Production mode: every circuit must have a non-development
    /// key of the right shape with γ ≠ δ, or this throws naming the circuit, file and reason.
    static func open(_ configuration: ProverConfiguration, logger: Logger) throws -> KeyStore {
        try FileManager.default.createDirectory(atPath: configuration.keysDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var entries: [StorageCircuit: Entry] = [:]
        for circuit in configuration.circuits {
            let path = configuration.keyPath(for: circuit)
            switch configuration.mode {
            case .production:
                guard FileManager.default.fileExists(atPath: path) else {
                    throw ConfigurationError("production mode: no proving key for \(circuit) at \(path); put the key from the circuit's ceremony there (development keys are refused)")
                }
                let started = ContinuousClock.now
                let keys: CircuitKeys
                do {
                    keys = try load(circuit, from: path, fingerprintPath: configuration.fingerprintPath(for: circuit), required: false)
                } catch {
                    throw ConfigurationError("production mode: the proving key for \(circuit) at \(path) is unusable: \(error.message)")
                }
                guard !keys.isDevelopment else {
                    throw ConfigurationError("production mode refuses development keys: \(path) holds a seeded development key for \(circuit) (INSECURE: anyone who knows the seed can forge proofs); install the ceremony key")
                }
                log(keys, source: "loaded", path: path, since: started, logger: logger)
                entries[circuit] = .ready(keys)
            case .development:
                guard FileManager.default.fileExists(atPath: path) else {
                    entries[circuit] = .pending
                    continue
                }
                let started = ContinuousClock.now
                // An imported (ceremony) key is the operator's: use it, and never overwrite it.
                let file = Result { () throws(ProofEncodingError) -> Groth16ProvingKey in try Groth16ProvingKey(contentsOf: path) }
                if case .success(let key) = file, !key.verifyingKey.isDevelopment {
                    do {
                        let keys = try check(key, for: circuit, fingerprintPath: configuration.fingerprintPath(for: circuit), required: false)
                        log(keys, source: "loaded imported key", path: path, since: started, logger: logger)
                        entries[circuit] = .ready(keys)
                    } catch {
                        logger.error("imported key unusable; remove it to use a development key",
                                     metadata: ["circuit": "\(circuit)", "path": "\(path)", "error": "\(error.message)"])
                        entries[circuit] = .failed("the imported key \(path) is unusable: \(error.message)")
                    }
                    continue
                }
                do {
                    let keys = try check(try file.get(), for: circuit, fingerprintPath: configuration.fingerprintPath(for: circuit), required: true)
                    if case .development(let seed) = keys.provingKey.verifyingKey.origin, seed != configuration.seed(for: circuit) {
                        logger.notice("cached development key has another seed; deriving a new one",
                                      metadata: ["circuit": "\(circuit)", "path": "\(path)"])
                        entries[circuit] = .pending
                        continue
                    }
                    log(keys, source: "loaded cached development key", path: path, since: started, logger: logger)
                    entries[circuit] = .ready(keys)
                } catch {
                    logger.warning("cached key unusable; deriving a new one",
                                   metadata: ["circuit": "\(circuit)", "path": "\(path)", "error": "\(error.message)"])
                    entries[circuit] = .pending
                }
            }
        }
        let store = KeyStore(configuration: configuration, logger: logger, entries: entries)
        store.settleIfDone()
        return store
    }

    /// Reads a key file and checks it fits `circuit` exactly (constraints, inputs, witnesses),
    /// that the fingerprint file beside it names this circuit's constraints (when `required`,
    /// or when it exists) and that its verifying key is sound (γ ≠ δ).
    static func load(_ circuit: StorageCircuit, from path: String, fingerprintPath: String, required: Bool) throws -> CircuitKeys {
        try check(try Groth16ProvingKey(contentsOf: path), for: circuit, fingerprintPath: fingerprintPath, required: required)
    }

    static func check(_ key: Groth16ProvingKey, for circuit: StorageCircuit, fingerprintPath: String, required: Bool) throws -> CircuitKeys {
        let system = try circuit.setupSystem()
        let expected = R1CSShape(system)
        guard key.shape == expected else {
            throw KeyFileError("the key was made for another circuit shape (\(key.shape); \(circuit) has \(expected))")
        }
        if let recorded = try? String(contentsOfFile: fingerprintPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
            guard recorded == CircuitFingerprint.of(system) else {
                throw KeyFileError("the key was made for another version of the circuit (\(fingerprintPath) does not match its constraints)")
            }
        } else if required {
            throw KeyFileError("\(fingerprintPath) is missing, so the key cannot be matched to the circuit's constraints")
        }
        return try CircuitKeys(circuit: circuit, provingKey: key)
    }

    /// Derives (development mode) every key not loaded at start-up, smallest circuit first,
    /// one at a time (a batch setup needs hundreds of MB), on the compute threads; caches each
    /// as `<circuit>.pk` (0600). Returns when every circuit is ready or has failed.
    func prepareMissing() async {
        let pending = configuration.circuits.filter { if case .pending = entry($0) { true } else { false } }
            .sorted { $0.constraintCount < $1.constraintCount }
        for circuit in pending {
            let started = ContinuousClock.now
            do {
                let seed = configuration.seed(for: circuit)
                let (key, fingerprint) = try await onComputeThreads {
                    let system = try circuit.setupSystem()
                    return (try await Groth16.developmentSetup(for: system, seed: seed), CircuitFingerprint.of(system))
                }
                let keys = try CircuitKeys(circuit: circuit, provingKey: key)
                let path = configuration.keyPath(for: circuit)
                do {
                    // The key first: a crash in between leaves a key without fingerprint, which
                    // the next start derives again.
                    try AtomicFile.write(key.serialized(), to: path, mode: 0o600)
                    try AtomicFile.write(Array((fingerprint + "\n").utf8), to: configuration.fingerprintPath(for: circuit), mode: 0o600)
                } catch {
                    logger.warning("could not cache the development key; it will be derived again on the next start",
                                   metadata: ["circuit": "\(circuit)", "path": "\(path)", "error": "\(error)"])
                }
                Self.log(keys, source: "derived development key (INSECURE: seeded)", path: path, since: started, logger: logger)
                entries.withLock { $0[circuit] = .ready(keys) }
            } catch {
                logger.error("key setup failed", metadata: ["circuit": "\(circuit)", "error": "\(error.message)"])
                entries.withLock { $0[circuit] = .failed("key setup failed: \(error.message)") }
            }
        }
        settleIfDone()
    }

    /// Waits until no circuit is pending (tests and start-up use it; no polling).
    func waitUntilSettled() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = readiness.withLock { state -> Bool in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    private func settleIfDone() {
        let pending = entries.withLock { $0.values.contains { if case .pending = $0 { true } else { false } } }
        guard !pending else { return }
        let waiters = readiness.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func entry(_ circuit: StorageCircuit) -> Entry? {
        entries.withLock { $0[circuit] }
    }

    /// Circuits that failed their setup, with the reason.
    var failures: [String] {
        configuration.circuits.compactMap { circuit in
            if case .failed(let reason) = entry(circuit) { "\(circuit): \(reason)" } else { nil }
        }
    }

    /// The keys of a served circuit, or the error the API answers with.
    func keys(for name: String) throws(ProverError) -> CircuitKeys {
        guard let circuit = StorageCircuit(name: name), configuration.circuits.contains(circuit) else {
            throw .unknownCircuit("unknown circuit '\(name.prefix(100))'; this instance serves \(configuration.circuits.map(\.name).joined(separator: ", "))")
        }
        switch entry(circuit) {
        case .ready(let keys): return keys
        case .failed(let reason): throw .internalFailure("\(circuit) is unavailable: \(reason)")
        case .pending, nil: throw .notReady("the keys of \(circuit) are still being prepared", retryAfter: 5)
        }
    }

    /// Readiness: every circuit has its keys.
    func checkReady() throws {
        let missing = configuration.circuits.compactMap { circuit -> String? in
            switch entry(circuit) {
            case .ready: nil
            case .failed(let reason): "\(circuit): \(reason)"
            case .pending, nil: "\(circuit): preparing keys"
            }
        }
        guard missing.isEmpty else { throw KeyFileError(missing.joined(separator: "; ")) }
    }

    private static func log(_ keys: CircuitKeys, source: String, path: String, since started: ContinuousClock.Instant, logger: Logger) {
        logger.notice("\(source)", metadata: [
            "circuit": "\(keys.circuit)", "constraints": "\(keys.provingKey.shape.constraintCount)",
            "milliseconds": "\(milliseconds(since: started))", "vk_sha256": "\(keys.sha256)", "path": "\(path)",
            "development": "\(keys.isDevelopment)",
        ])
    }
}

/// A key file that cannot serve its circuit.
struct KeyFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Wall milliseconds since `start`, rounded to 0.1 ms.
func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    return (ms * 10).rounded() / 10
}

extension Error {
    /// The error's own description (typed errors describe themselves; others via String(describing:)).
    var message: String { String(describing: self) }
}
