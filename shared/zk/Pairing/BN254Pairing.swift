/// The optimal ate pairing e: G1 × G2 → GT ⊂ Fq12* on BN254 (zk.md §2).
///
/// e(P, Q) = f(P, Q)^((p¹² − 1)/r), where f is the Miller loop over 6u + 2 followed by the
/// lines through π(Q) and −π²(Q). Points are assumed to be valid subgroup elements, which the
/// validating `AffinePoint.init(x:y:)` guarantees for external input.
public enum BN254Pairing {
    /// e(p, q); 1 if either point is the identity.
    public static func pairing(_ p: G1Affine, _ q: G2Affine) -> Fq12 {
        multiPairing([(p, q)])
    }

    /// ∏ e(pᵢ, qᵢ) with one shared Miller-loop accumulator and a single final exponentiation,
    /// which is much cheaper than multiplying separate pairings (the Groth16 verifier's shape).
    public static func multiPairing(_ pairs: [(G1Affine, G2Affine)]) -> Fq12 {
        // A pair with an identity point contributes e = 1, so it is simply dropped.
        let active = pairs.filter { !$0.0.isIdentity && !$0.1.isIdentity }
        guard !active.isEmpty else { return .one }
        return finalExponentiation(millerLoop(active))
    }

    /// Whether ∏ e(pᵢ, qᵢ) = 1.
    public static func pairingCheck(_ pairs: [(G1Affine, G2Affine)]) -> Bool {
        multiPairing(pairs) == .one
    }

    /// f^((p¹² − 1)/r), split as (p⁶ − 1)(p² + 1) · (p⁴ − p² + 1)/r.
    ///
    /// Returns zero for a zero input (impossible for valid points), so a check never passes by accident.
    static func finalExponentiation(_ f: Fq12) -> Fq12 {
        guard let inverse = f.inverse() else { return .zero }
        // Easy part: f^(p⁶ − 1) = conj(f)/f, then ^(p² + 1). The result lies in the cyclotomic
        // subgroup, where conjugation is inversion.
        let t = f.conjugate() * inverse
        let easy = t.frobenius(power: 2) * t
        return easy.windowedPower(PairingConstants.hardExponent)
    }
}

extension Fq12 {
    /// `self^exponent` (little-endian limbs) with a fixed 4-bit window: about a quarter of the
    /// multiplications of square-and-multiply, which matters for the 762-bit hard exponent.
    func windowedPower(_ exponent: [UInt64]) -> Fq12 {
        var table = [Fq12](repeating: .one, count: 16)
        for index in 1..<16 { table[index] = table[index - 1] * self }
        var result = Fq12.one
        var started = false
        for limb in exponent.reversed() {
            for shift in stride(from: 60, through: 0, by: -4) {
                if started {
                    result = result.square().square().square().square()
                }
                let nibble = Int((limb >> UInt64(shift)) & 0xF)
                if nibble != 0 {
                    result = started ? result * table[nibble] : table[nibble]
                    started = true
                }
            }
        }
        return result
    }
}
