/// A verifying key with e(α, β) precomputed, so each verification is a 3-pair multi-pairing.
public struct Groth16PreparedVerifyingKey: Sendable {
    /// The key.
    public let key: Groth16VerifyingKey
    /// e(α, β).
    let alphaBeta: Fq12

    /// Prepares `key` after `validated()` (refuses γ = δ and empty IC).
    public init(_ key: Groth16VerifyingKey) throws(Groth16Error) {
        self.key = try key.validated()
        self.alphaBeta = BN254Pairing.pairing(key.alpha, key.beta)
    }
}

extension Groth16 {
    /// Whether `proof` proves the statement `publicInputs` under `key`.
    ///
    /// Checks e(A, B) = e(α, β)·e(vk_x, γ)·e(C, δ) with vk_x = IC₀ + Σ sᵢ·ICᵢ₊₁, as the single
    /// multi-pairing e(A, B)·e(−vk_x, γ)·e(−C, δ) = e(α, β). The proof's points were validated
    /// (on curve, in subgroup) when parsed; public inputs are field elements, hence < r.
    ///
    /// - Throws: `publicInputCount` when the number of inputs does not match the key.
    public static func verify(
        _ proof: Groth16Proof, publicInputs: [Fr], key: Groth16PreparedVerifyingKey
    ) throws(Groth16Error) -> Bool {
        let ic = key.key.ic
        guard publicInputs.count == ic.count - 1 else {
            throw .publicInputCount(expected: ic.count - 1, actual: publicInputs.count)
        }
        var vkX = JacobianPoint(ic[0])
        for (input, point) in zip(publicInputs, ic.dropFirst()) {
            vkX += point.multiplied(by: input)
        }
        let product = BN254Pairing.multiPairing([
            (proof.a, proof.b),
            (-vkX.toAffine(), key.key.gamma),
            (-proof.c, key.key.delta),
        ])
        return product == key.alphaBeta
    }

    /// `verify` for public inputs given as integers: any value ≥ r is refused (zk.md §8.4),
    /// because x and x + r would otherwise verify as the same statement.
    public static func verify(
        _ proof: Groth16Proof, publicIntegers: [UInt256], key: Groth16PreparedVerifyingKey
    ) throws(Groth16Error) -> Bool {
        var inputs: [Fr] = []
        for (index, value) in publicIntegers.enumerated() {
            guard let element = Fr(value) else { throw .publicInputOutOfRange(index: index) }
            inputs.append(element)
        }
        return try verify(proof, publicInputs: inputs, key: key)
    }
}
