import PakitConcurrency
import PakitContracts
import PakitZK

/// Verifying keys as the provers publish them (`GET /v1/keys/{circuit}`), fetched once per
/// circuit and key hash and kept prepared (e(α, β) computed) for local verification.
///
/// A fetched key is accepted only if it parses as a valid snarkjs key of the circuit's shape
/// and its canonical encoding hashes to the SHA-256 the prover published with it, so the hash
/// in a `ProofBundle` names exactly the key a proof was checked against.
actor VerifyingKeyCache {
    struct Entry: Sendable {
        let response: VerifyingKeyResponse
        let prepared: Groth16PreparedVerifyingKey
    }

    private let client: any ProverAPI
    /// Preparing a key (a pairing) runs on `executors.compute`.
    private let executors: ServiceExecutors
    private var bySHA256: [String: Entry] = [:]
    /// The key last fetched for each circuit: what `POST /v1/proofs/verify` uses by name.
    private var latest: [String: String] = [:]
    private var fetches: [String: Task<Entry, any Error>] = [:]

    init(client: any ProverAPI, executors: ServiceExecutors) {
        self.client = client
        self.executors = executors
    }

    /// The key with hash `sha256` for `circuit`, from the cache or fetched from `prover`.
    func key(circuit: String, sha256: String, from prover: String) async throws(ProverCallError) -> Entry {
        if let entry = bySHA256[sha256], entry.response.circuit.circuit == circuit { return entry }
        let entry = try await fetch(circuit: circuit, from: prover)
        guard entry.response.sha256 == sha256 else {
            throw ProverCallError(kind: .badAnswer, message: "\(prover) proved with a key (\(sha256)) it does not publish for \(circuit) (\(entry.response.sha256))")
        }
        return entry
    }

    /// The current key of `circuit`: cached, or fetched from the first of `provers` that answers.
    func currentKey(circuit: String, provers: [String]) async throws(ProverCallError) -> Entry {
        if let sha = latest[circuit], let entry = bySHA256[sha] { return entry }
        var lastError = ProverCallError(kind: .transport, message: "no prover is configured")
        for prover in provers {
            do {
                return try await fetch(circuit: circuit, from: prover)
            } catch {
                lastError = error
                if case .refused(404) = error.kind { continue }
            }
        }
        throw lastError
    }

    /// A cached key by its hash (for `GET /v1/proofs/{id}/verification-key`).
    func cached(sha256: String) -> Entry? { bySHA256[sha256] }

    private func fetch(circuit: String, from prover: String) async throws(ProverCallError) -> Entry {
        let slot = "\(prover) \(circuit)"
        let task: Task<Entry, any Error>
        if let running = fetches[slot] {
            task = running
        } else {
            let client = self.client
            let executors = self.executors
            task = Task { try await Self.load(client: client, executors: executors, circuit: circuit, from: prover) }
            fetches[slot] = task
        }
        let result = await task.result
        fetches[slot] = nil
        switch result {
        case .success(let entry):
            bySHA256[entry.response.sha256] = entry
            latest[circuit] = entry.response.sha256
            return entry
        case .failure(let error as ProverCallError):
            throw error
        case .failure(let error):
            throw ProverCallError(kind: .transport, message: "\(error)")
        }
    }

    private static func load(client: any ProverAPI, executors: ServiceExecutors, circuit: String, from prover: String) async throws -> Entry {
        let response = try await client.verifyingKey(prover, circuit: circuit)
        guard response.circuit.circuit == circuit else {
            throw ProverCallError(kind: .badAnswer, message: "\(prover) answered the key of \(response.circuit.circuit) for \(circuit)")
        }
        // Parsing checks curve points, preparing computes a pairing: compute threads.
        return try await executors.compute.run { try check(response, circuit: circuit, from: prover) }
    }

    private static func check(_ response: VerifyingKeyResponse, circuit: String, from prover: String) throws -> Entry {
        let key: Groth16VerifyingKey
        do {
            key = try Groth16VerifyingKey(snarkjs: response.verifyingKey)
        } catch {
            throw ProverCallError(kind: .badAnswer, message: "\(prover) published an invalid key for \(circuit): \(error)")
        }
        if let expected = StorageCircuit(name: circuit)?.publicInputCount, key.publicInputCount != expected {
            throw ProverCallError(kind: .badAnswer, message: "\(prover)'s key for \(circuit) takes \(key.publicInputCount) public inputs, not \(expected)")
        }
        guard key.sha256Hex == response.sha256 else {
            throw ProverCallError(kind: .badAnswer, message: "\(prover)'s key for \(circuit) does not hash to the SHA-256 it publishes")
        }
        do {
            return Entry(response: response, prepared: try Groth16PreparedVerifyingKey(key))
        } catch {
            throw ProverCallError(kind: .badAnswer, message: "\(prover)'s key for \(circuit) is unusable: \(error)")
        }
    }
}
