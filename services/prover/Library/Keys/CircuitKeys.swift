import PakitContracts
import PakitZK

/// One circuit's keys, ready to prove and verify, with the published forms of its verifying
/// key computed once.
struct CircuitKeys: Sendable {
    let circuit: StorageCircuit
    let provingKey: Groth16ProvingKey
    /// The verifying key with e(α, β) precomputed (also checked: γ ≠ δ, IC not empty).
    let prepared: Groth16PreparedVerifyingKey
    /// snarkjs `verification_key.json`.
    let snarkjs: SnarkjsVerifyingKey
    /// Hex SHA-256 of the key's canonical encoding.
    let sha256: String

    init(circuit: StorageCircuit, provingKey: Groth16ProvingKey) throws(Groth16Error) {
        self.circuit = circuit
        self.provingKey = provingKey
        self.prepared = try Groth16PreparedVerifyingKey(provingKey.verifyingKey)
        self.snarkjs = provingKey.verifyingKey.snarkjs
        self.sha256 = provingKey.verifyingKey.sha256Hex
    }

    var isDevelopment: Bool { provingKey.verifyingKey.isDevelopment }

    var info: CircuitInfo {
        CircuitInfo(circuit: circuit.name, constraints: provingKey.shape.constraintCount,
                    publicInputs: provingKey.shape.publicInputCount, openings: circuit.openings,
                    development: isDevelopment)
    }
}
