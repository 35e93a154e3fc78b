import PakitContracts
import PakitZK

/// `POST /v1/verify` free of HTTP. A statement that is not accepted — whatever the reason:
/// bad encoding, point off the curve or outside the subgroup, input ≥ r, wrong input count,
/// refused key, failed pairing check — is `valid: false` with the reason; only requests whose
/// JSON does not have the documented shape are errors (400).
enum VerifyWork {
    /// A verifying key ready to use, and whether it is a development key.
    enum KeyChoice: Sendable {
        case circuit(CircuitKeys)
        case supplied(SnarkjsVerifyingKey)
    }

    static func keyChoice(_ request: VerifyRequest, keys lookup: (String) throws(ProverError) -> CircuitKeys) throws(ProverError) -> KeyChoice {
        switch (request.circuit, request.verifyingKey) {
        case (let name?, nil): return .circuit(try lookup(name))
        case (nil, let key?): return .supplied(key)
        case (.some, .some): throw .invalidRequest("give either circuit or verifyingKey, not both")
        case (nil, nil): throw .invalidRequest("give circuit (its published key) or verifyingKey (snarkjs verification_key.json)")
        }
    }

    static func verify(_ request: VerifyRequest, key choice: KeyChoice, mode: ProverMode) throws(ProverError) -> VerifyResponse {
        guard (request.proof == nil) != (request.proofHex == nil) else {
            throw .invalidRequest("give the proof either as proof (snarkjs proof.json) or as proofHex (256-byte EIP-197 or 128-byte compressed), exactly one")
        }
        let prepared: Groth16PreparedVerifyingKey
        let development: Bool
        switch choice {
        case .circuit(let keys):
            prepared = keys.prepared
            development = keys.isDevelopment
        case .supplied(let json):
            let key: Groth16VerifyingKey
            do {
                key = try Groth16VerifyingKey(snarkjs: json)
            } catch {
                if case .badJSONShape = error { throw .invalidRequest("verifyingKey: \(error)") }
                if case .invalidKey(.gammaEqualsDelta) = error {
                    return VerifyResponse(valid: false, reason: "verifyingKey has vk_gamma_2 = vk_delta_2 (no phase-2 contribution: proofs under it can be forged); refused",
                                          development: Groth16VerifyingKey.isDevelopmentLabel(json.pakitSetup))
                }
                return VerifyResponse(valid: false, reason: "verifyingKey: \(error)", development: Groth16VerifyingKey.isDevelopmentLabel(json.pakitSetup))
            }
            development = key.isDevelopment
            if mode == .production && development {
                return VerifyResponse(valid: false, reason: "development keys (pakit_setup \"INSECURE – development only\") are refused in production mode", development: true)
            }
            do {
                prepared = try Groth16PreparedVerifyingKey(key)
            } catch {
                return VerifyResponse(valid: false, reason: "verifyingKey: \(error)", development: development)
            }
        }

        let proof: Groth16Proof
        do {
            if let json = request.proof {
                proof = try Groth16Proof(snarkjs: json)
            } else {
                proof = try Groth16Proof(hex: request.proofHex ?? "")
            }
        } catch {
            if case .badJSONShape = error { throw .invalidRequest("proof: \(error)") }
            return VerifyResponse(valid: false, reason: "proof: \(error)", development: development)
        }
        let inputs: [Fr]
        do {
            inputs = try SnarkjsPublicSignals.decode(request.publicSignals)
        } catch {
            return VerifyResponse(valid: false, reason: "publicSignals: \(error)", development: development)
        }
        let expected = prepared.key.publicInputCount
        guard inputs.count == expected else {
            return VerifyResponse(valid: false, reason: "the key takes \(expected) public signals, got \(inputs.count)", development: development)
        }
        do {
            guard try Groth16.verify(proof, publicInputs: inputs, key: prepared) else {
                return VerifyResponse(valid: false, reason: "the pairing check failed: the proof does not prove these public signals under this key", development: development)
            }
        } catch {
            return VerifyResponse(valid: false, reason: "\(error)", development: development)
        }
        return VerifyResponse(valid: true, development: development)
    }
}

extension Groth16VerifyingKey {
    /// Whether a `pakit_setup` label marks a development key (as the snarkjs parser reads it).
    static func isDevelopmentLabel(_ label: String?) -> Bool {
        label?.hasPrefix("INSECURE") ?? false
    }
}
