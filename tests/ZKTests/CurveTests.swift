import Testing
@testable import PakitZK

/// Parses a decimal Fq test constant (a failure is recorded rather than crashing).
func fq(_ decimal: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Fq {
    try #require(Fq(decimal: decimal), "bad test constant \(decimal)", sourceLocation: sourceLocation)
}

/// r − 1 as a scalar, so (r − 1)·G = −G.
let frMinusOne = -Fr.one

/// The group laws that hold for both G1 and G2.
func checkGroupLaws<C: ShortWeierstrassCurve>(_: C.Type, seed: UInt64, iterations: Int) {
    typealias Affine = AffinePoint<C>
    typealias Jacobian = JacobianPoint<C>
    let g = Affine.generator
    #expect(g.isOnCurve, "generator is off the curve")
    #expect(Jacobian.generator.isOnCurve)
    #expect(g.multiplied(byInteger: groupOrder).isIdentity, "r·G is not the identity")
    #expect(g.multiplied(by: frMinusOne) == -Jacobian(g), "(r − 1)·G is not −G")
    #expect(g.multiplied(by: .zero).isIdentity)
    #expect(g.multiplied(by: .one).toAffine() == g)

    var rng = SeededGenerator(state: seed)
    for _ in 0..<iterations {
        let a = Fr.random(using: &rng), b = Fr.random(using: &rng)
        let aG = g.multiplied(by: a), bG = g.multiplied(by: b)
        #expect(g.multiplied(by: a + b) == aG + bG, "(a + b)·G differs from a·G + b·G")
        #expect(aG.doubled() == aG + aG, "doubling differs from adding to itself")
        let bAffine = bG.toAffine()
        #expect(aG + bAffine == aG + bG, "mixed addition differs from full addition")
        #expect(aG + Jacobian(bAffine) == aG + bG)
        #expect(aG - aG == Jacobian.identity)
        #expect(aG + (-aG.toAffine()) == .identity, "mixed addition of the negation is not the identity")
        #expect((aG + bG).isOnCurve && bAffine.isOnCurve)
        // Same point, different Z: equality must not depend on the representative.
        let scaled = C.BaseField.one + C.BaseField.one + C.BaseField.one
        let rescaled = Jacobian(x: aG.x * scaled.square(), y: aG.y * scaled.square() * scaled, z: aG.z * scaled)
        #expect(rescaled == aG, "equality depends on the Jacobian representative")
        #expect(rescaled.toAffine() == aG.toAffine())
    }
    // Scalar multiplication through a Jacobian base: a·(b·G) = b·(a·G).
    let a = Fr.random(using: &rng), b = Fr.random(using: &rng)
    #expect(g.multiplied(by: a).multiplied(by: b) == g.multiplied(by: b).multiplied(by: a), "scalar multiplication does not commute")
    #expect(Jacobian.identity + Affine.identity == .identity)
    #expect(Jacobian.identity.doubled().isIdentity)
    #expect(Jacobian.identity.toAffine() == .identity)
}

@Suite("BN254 G1 and G2")
struct CurveTests {
    @Test("G1 group laws, r·G = O and (r − 1)·G = −G")
    func g1Laws() {
        checkGroupLaws(BN254G1.self, seed: 1, iterations: 6)
    }

    @Test("G2 group laws, r·G = O and (r − 1)·G = −G")
    func g2Laws() {
        checkGroupLaws(BN254G2.self, seed: 2, iterations: 3)
    }

    @Test("2·G1 equals the py_ecc alt_bn128 value")
    func g1Double() throws {
        let expected = try G1Affine(
            x: fq("1368015179489954701390400359078579693043519447331113978918064868415326638035"),
            y: fq("9918110051302171585080402603319702774565515993150576347155970296011118125764")
        )
        #expect(G1Jacobian.generator.doubled().toAffine() == expected)
        #expect(G1Affine.generator.multiplied(by: Fr(2)).toAffine() == expected)
    }

    @Test("G2 generator and b′ match zk.md, and b′·(9 + u) = 3")
    func g2Constants() throws {
        let bPrime = Fq2(
            try fq("19485874751759354771024239261021720505790618469301721065564631296452457478373"),
            try fq("266929791119991161246907387137283842545076965332900288569378510910307636690")
        )
        #expect(BN254G2.b == bPrime)
        #expect(BN254G2.b * Fq2.xi == Fq2(Fq(3), .zero))
        let g = G2Affine.generator
        #expect(g.x == Fq2(
            try fq("10857046999023057135944570762232829481370756359578518086990519993285655852781"),
            try fq("11559732032986387107991004021392285783925812861821192530917403151452391805634")
        ))
        #expect(g.y == Fq2(
            try fq("8495653923123431417604973247489272438418190587263600148770280649306958101930"),
            try fq("4082367875863433681332203403145435568316851327593401208105741076214120093531")
        ))
        #expect(g.isInSubgroup)
        #expect(try G2Affine(x: g.x, y: g.y) == g)
    }

    @Test("Validating initialisers reject points off the curve")
    func rejectsOffCurve() {
        #expect(throws: CurvePointError.notOnCurve) { try G1Affine(x: Fq(1), y: Fq(3)) }
        let g = G2Affine.generator
        #expect(throws: CurvePointError.notOnCurve) { try G2Affine(x: g.x, y: g.y + .one) }
        #expect((try? G1Affine(x: Fq(1), y: -Fq(2))) == -G1Affine.generator)
    }

    @Test("G2 rejects a twist point outside the order-r subgroup and accepts it after clearing the cofactor")
    func rejectsOutsideSubgroup() throws {
        // Hash-and-try: the first x with x³ + b′ a square gives a twist point, which lies in
        // the order-r subgroup with probability 1/cofactor ≈ 2⁻²⁵⁴.
        var x = Fq2(Fq(1), Fq(1))
        var y: Fq2?
        for _ in 0..<64 {
            y = (x.square() * x + BN254G2.b).squareRoot()
            if y != nil { break }
            x = x + .one
        }
        let yValue = try #require(y, "no twist point found in 64 tries")
        #expect(throws: CurvePointError.notInSubgroup) { try G2Affine(x: x, y: yValue) }

        let raw = G2Jacobian(x: x, y: yValue, z: .one)
        #expect(raw.isOnCurve && !raw.isInSubgroup)
        let cleared = raw.multiplied(byInteger: BN254G2.cofactor).toAffine()
        #expect(!cleared.isIdentity)
        #expect(throws: Never.self) { try G2Affine(x: cleared.x, y: cleared.y) }
    }

    @Test("Batch normalisation equals one-by-one conversion, identities included")
    func batchToAffine() {
        var rng = SeededGenerator(state: 5)
        var points = (0..<6).map { _ in G1Affine.generator.multiplied(by: Fr.random(using: &rng)) }
        points.insert(.identity, at: 2)
        #expect(G1Jacobian.batchToAffine(points) == points.map { $0.toAffine() })
        #expect(G1Jacobian.batchToAffine([]).isEmpty)
    }
}
