import Testing
@testable import PakitZK

/// Ring and field laws on random elements of a tower field; `sample` draws one element.
func checkTowerLaws<F: FieldArithmetic>(
    _ sample: (inout SeededGenerator) -> F, seed: UInt64, iterations: Int = 20,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var rng = SeededGenerator(state: seed)
    for _ in 0..<iterations {
        let a = sample(&rng), b = sample(&rng), c = sample(&rng)
        #expect((a * b) * c == a * (b * c), "multiplication is not associative", sourceLocation: sourceLocation)
        #expect(a * b == b * a, "multiplication is not commutative", sourceLocation: sourceLocation)
        #expect(a * (b + c) == a * b + a * c, "multiplication does not distribute", sourceLocation: sourceLocation)
        #expect((a + b) + c == a + (b + c), "addition is not associative", sourceLocation: sourceLocation)
        #expect(a - b == a + (-b), "subtraction differs from adding the negation", sourceLocation: sourceLocation)
        #expect(a + (-a) == .zero, "a + (−a) is not zero", sourceLocation: sourceLocation)
        #expect(a.square() == a * a, "square differs from self-multiplication", sourceLocation: sourceLocation)
        #expect(a.doubled() == a + a, "doubling differs from self-addition", sourceLocation: sourceLocation)
        #expect(a * .one == a, "one is not the multiplicative identity", sourceLocation: sourceLocation)
        #expect(a * .zero == .zero, "zero does not annihilate", sourceLocation: sourceLocation)
        if let inverse = a.inverse() {
            #expect(a * inverse == .one, "a · a⁻¹ is not one", sourceLocation: sourceLocation)
        } else {
            Issue.record("a random element had no inverse", sourceLocation: sourceLocation)
        }
    }
    #expect(F.zero.inverse() == nil, "zero must have no inverse", sourceLocation: sourceLocation)
}

@Suite("BN254 extension tower")
struct TowerTests {
    @Test("Fq2 satisfies the field laws and u² = −1")
    func fq2Laws() {
        checkTowerLaws({ Fq2.random(using: &$0) }, seed: 21)
        #expect(Fq2.u.square() == -Fq2.one)
    }

    @Test("Fq6 satisfies the field laws and v³ = ξ")
    func fq6Laws() {
        checkTowerLaws({ Fq6.random(using: &$0) }, seed: 61)
        #expect(Fq6.v.square() * Fq6.v == Fq6(Fq2.xi, .zero, .zero))
    }

    @Test("Fq12 satisfies the field laws and w² = v")
    func fq12Laws() {
        checkTowerLaws({ Fq12.random(using: &$0) }, seed: 121)
        #expect(Fq12.w.square() == Fq12(Fq6.v, .zero))
    }

    @Test("Multiplying by the non-residue equals multiplying by the element it stands for")
    func nonResidueMultiplication() {
        var rng = SeededGenerator(state: 9)
        for _ in 0..<20 {
            let a = Fq2.random(using: &rng)
            #expect(a.multipliedByNonResidue() == a * Fq2(Fq(9), .one), "ξ·a differs from (9 + u)·a")
            let b = Fq6.random(using: &rng)
            #expect(b.multipliedByNonResidue() == b * Fq6.v, "v·b differs from the product with v")
        }
    }

    @Test("Conjugation: Fq2 conjugate is the p-power Frobenius and gives the norm; Fq12 conjugate is an involution")
    func conjugation() {
        var rng = SeededGenerator(state: 33)
        let p = FqParameters.modulus
        let a = Fq2.random(using: &rng)
        #expect(a.conjugate() == a.pow(p), "conjugate differs from a^p")
        #expect(a * a.conjugate() == Fq2(a.norm, .zero))
        let f = Fq12.random(using: &rng), g = Fq12.random(using: &rng)
        #expect(f.conjugate().conjugate() == f)
        #expect((f * g).conjugate() == f.conjugate() * g.conjugate(), "conjugation is not multiplicative")
    }

    @Test("Frobenius maps equal exponentiation by p")
    func frobenius() {
        var rng = SeededGenerator(state: 44)
        let p = FqParameters.modulus.limbs
        let a = Fq6.random(using: &rng)
        #expect(a.frobenius() == Self.power(a, p), "Fq6 Frobenius differs from a^p")
        let f = Fq12.random(using: &rng)
        let fp = f.pow(p)
        #expect(f.frobenius() == fp, "Fq12 Frobenius differs from f^p")
        #expect(f.frobenius(power: 2) == fp.pow(p), "Fq12 Frobenius² differs from f^(p²)")
        #expect(f.frobenius(power: 6) == f.conjugate(), "f^(p⁶) is not the conjugate")
        #expect(f.frobenius(power: 12) == f)
    }

    /// Square-and-multiply for Fq6, which has no `pow` of its own.
    static func power(_ base: Fq6, _ exponent: [UInt64]) -> Fq6 {
        var result = Fq6.one
        for limb in exponent.reversed() {
            for shift in stride(from: 63, through: 0, by: -1) {
                result = result.square()
                if (limb >> UInt64(shift)) & 1 == 1 { result *= base }
            }
        }
        return result
    }

    @Test("Fq12 exponentiation respects exponent addition")
    func fq12Pow() {
        var rng = SeededGenerator(state: 12)
        let f = Fq12.random(using: &rng)
        #expect(f.pow([5]) == f * f * f * f * f)
        #expect(f.pow([0]) == .one)
    }

    @Test("Fq2 square roots square back; non-squares have none")
    func fq2SquareRoot() {
        var rng = SeededGenerator(state: 77)
        var nonSquares = 0
        for _ in 0..<10 {
            let a = Fq2.random(using: &rng)
            let root = a.square().squareRoot()
            #expect(root?.square() == a.square(), "square root of a square failed")
            if a.squareRoot() == nil { nonSquares += 1 }
        }
        // Half of the non-zero elements are non-squares; ten draws all squares is 2⁻¹⁰ unlikely.
        #expect(nonSquares > 0, "no non-square found; squareRoot may accept non-squares")
        #expect(Fq2.zero.squareRoot() == .zero)
        #expect((-Fq2.one).squareRoot()?.square() == -Fq2.one)
    }
}
