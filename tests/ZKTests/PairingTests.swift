import Testing
@testable import PakitZK

/// Pairings are expensive in debug builds, so the few values the tests need are computed
/// once (global lets initialise lazily and thread-safely) and shared by all tests.
private enum PairingFixture {
    static let p = G1Affine.generator
    static let q = G2Affine.generator
    /// A fixed pseudo-random scalar.
    static let a: Fr = {
        var rng = SeededGenerator(state: 0x5eed_0f_ba11)
        return Fr.random(using: &rng)
    }()
    static let aP = (a * p).toAffine()
    static let aQ = (a * q).toAffine()
    /// e(G1, G2).
    static let base = BN254Pairing.pairing(p, q)
    /// e(a·P, Q).
    static let leftScaled = BN254Pairing.pairing(aP, q)
    /// e(P, a·Q).
    static let rightScaled = BN254Pairing.pairing(p, aQ)
}

@Suite("BN254 optimal ate pairing")
struct PairingTests {
    @Test("derived constants: 6u + 2, its NAF, the hard exponent, the twist Frobenius")
    func constants() {
        #expect(PairingConstants.ateLoopCount == 29_793_968_203_157_093_288)
        // The signed digits must recompose to 6u + 2 and be non-adjacent.
        var value: Int128 = 0
        for digit in PairingConstants.ateLoopNAF { value = 2 * value + Int128(digit) }
        #expect(value == Int128(PairingConstants.ateLoopCount))
        let digits = PairingConstants.ateLoopNAF
        #expect(!zip(digits, digits.dropFirst()).contains { $0 != 0 && $1 != 0 })
        // (p⁴ − p² + 1)/r must be exact: quotient · r == p⁴ − p² + 1.
        let p = BigUInt(FqParameters.modulus), r = BigUInt(FrParameters.modulus)
        let numerator = (p * p * p * p - p * p) + BigUInt(1)
        #expect(BigUInt(limbs: PairingConstants.hardExponent) * r == numerator)
        // ψ agrees with the Fq6 tower's Frobenius coefficient and acts as [p] = [p − r] on G2.
        #expect(PairingConstants.twistFrobeniusX == Fq6.frobeniusCoefficient1)
        let pMinusR = FqParameters.modulus.subtractingReportingOverflow(FrParameters.modulus).partialValue
        let q = G2Affine.generator
        let image = twistFrobenius((q.x, q.y))
        #expect(G2Affine(unchecked: image.x, image.y) == q.multiplied(byInteger: pMinusR).toAffine())
    }

    @Test("non-degenerate and of order r")
    func nonDegenerate() {
        let e = PairingFixture.base
        #expect(e != .one)
        #expect(e.pow(FrParameters.modulus.limbs) == .one)
    }

    @Test("bilinear: e(aP, Q) == e(P, aQ) == e(P, Q)^a")
    func bilinear() {
        let expected = PairingFixture.base.pow(PairingFixture.a.standardValue.limbs)
        #expect(PairingFixture.leftScaled == expected)
        #expect(PairingFixture.rightScaled == expected)
    }

    @Test("e(P, Q) · e(−P, Q) == 1 via pairingCheck; a lone pairing fails the check")
    func pairingCheck() {
        let p = PairingFixture.p, q = PairingFixture.q
        #expect(BN254Pairing.pairingCheck([(p, q), (-p, q)]))
        #expect(!BN254Pairing.pairingCheck([(p, q), (p, q)]))
    }

    @Test("multiPairing equals the product of single pairings")
    func multiPairing() {
        let product = BN254Pairing.multiPairing([(PairingFixture.aP, PairingFixture.q), (PairingFixture.p, PairingFixture.aQ)])
        #expect(product == PairingFixture.leftScaled * PairingFixture.rightScaled)
    }

    @Test("identity points give 1")
    func identity() {
        #expect(BN254Pairing.pairing(.identity, PairingFixture.q) == .one)
        #expect(BN254Pairing.pairing(PairingFixture.p, .identity) == .one)
        #expect(BN254Pairing.multiPairing([]) == .one)
        #expect(BN254Pairing.pairingCheck([(.identity, .identity)]))
    }
}
