import Testing
@testable import PakitZK

/// Deterministic generator (SplitMix64) so field-law failures are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

let pDecimal = "21888242871839275222246405745257275088696311157297823662689037894645226208583"
let rDecimal = "21888242871839275222246405745257275088548364400416034343698204186575808495617"

/// Runs the same checks on both BN254 fields.
func checkFieldLaws<P: PrimeFieldParameters>(_: PrimeField<P>.Type, seed: UInt64) {
    typealias F = PrimeField<P>
    var rng = SeededGenerator(state: seed)
    for _ in 0..<200 {
        let a = F.random(using: &rng), b = F.random(using: &rng), c = F.random(using: &rng)
        #expect((a * b) * c == a * (b * c), "multiplication is not associative")
        #expect((a + b) + c == a + (b + c), "addition is not associative")
        #expect(a * b == b * a, "multiplication is not commutative")
        #expect(a * (b + c) == a * b + a * c, "multiplication does not distribute over addition")
        #expect(a - b == a + (-b), "subtraction differs from adding the negation")
        #expect(a + (-a) == F.zero)
        #expect(a.square() == a * a)
        if let inverse = b.inverse() {
            #expect(b * inverse == F.one, "b · b⁻¹ ≠ 1")
            #expect((a * b) / b == a, "(a·b)/b ≠ a")
        } else {
            Issue.record("random element had no inverse")
        }
    }
}

/// Montgomery constants recomputed from the modulus rather than trusted from the table.
func checkMontgomeryConstants<P: PrimeFieldParameters>(_: PrimeField<P>.Type) {
    typealias F = PrimeField<P>
    let m = P.modulus
    // m · (−m⁻¹) ≡ −1 (mod 2⁶⁴).
    #expect(m.l0 &* P.negativeModulusInverse == UInt64.max)
    // 2²⁵⁶ and 2⁵¹² mod m by doubling 1 and reducing after each step (each value stays < m).
    var power = UInt256(1)
    for step in 1...512 {
        let doubled = power.addingReportingOverflow(power).partialValue
        let (reduced, borrowed) = doubled.subtractingReportingOverflow(m)
        power = borrowed ? doubled : reduced
        if step == 256 { #expect(power == P.montgomeryR, "R ≠ 2²⁵⁶ mod m") }
    }
    #expect(power == P.montgomeryR2, "R² ≠ 2⁵¹² mod m")
    // Montgomery reduction of R² gives R, and of R gives 1 (R·R⁻¹ = 1).
    #expect(F(montgomery: P.montgomeryR2).standardValue == P.montgomeryR, "R²·R⁻¹ ≠ R")
    #expect(F(montgomery: P.montgomeryR).standardValue == UInt256(1), "R·R⁻¹ ≠ 1")
    #expect(F.one.standardValue == UInt256(1))
    #expect(F(7).standardValue == UInt256(7))
    // Fermat: a^(m−1) = 1.
    let exponent = m.subtractingReportingOverflow(UInt256(1)).partialValue
    #expect(F(123_456_789).pow(exponent) == F.one)
}

@Suite("BN254 prime fields")
struct FieldTests {
    @Test("Fq and Fr satisfy the field laws on random elements")
    func fieldLaws() {
        checkFieldLaws(Fq.self, seed: 1)
        checkFieldLaws(Fr.self, seed: 2)
    }

    @Test("Montgomery constants match recomputation from the modulus")
    func montgomeryConstants() {
        checkMontgomeryConstants(Fq.self)
        checkMontgomeryConstants(Fr.self)
    }

    @Test("Moduli equal p and r from the reference")
    func moduli() {
        #expect(Fq.modulus.decimalString == pDecimal)
        #expect(Fr.modulus.decimalString == rDecimal)
        #expect(Fq.modulus.hexString == "0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47")
        #expect(Fr.modulus.hexString == "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001")
    }

    @Test("p − 1 + 1 = 0 and (r − 1)² = 1")
    func knownValues() throws {
        let pMinusOne = try #require(Fq(decimal: String(pDecimal.dropLast()) + "2"))
        #expect(pMinusOne + Fq.one == Fq.zero)
        #expect(pMinusOne == -Fq.one)
        let rMinusOne = try #require(Fr(decimal: String(rDecimal.dropLast()) + "6"))
        #expect(rMinusOne.square() == Fr.one)
        #expect(rMinusOne == -Fr.one)
        #expect(Fr(2).inverse().map { $0 * Fr(2) } == Fr.one)
        #expect(Fr.zero.inverse() == nil)
        #expect(Fq.zero.inverse() == nil)
        #expect(Fr(3) * Fr(5) == Fr(15))
        #expect(Fr(3) - Fr(5) == -Fr(2))
        #expect(Fr(2).pow([10]) == Fr(1024))
    }

    @Test("Canonical encodings reject the modulus and anything above it")
    func canonicalEncoding() {
        #expect(Fq(decimal: pDecimal) == nil)
        #expect(Fr(decimal: rDecimal) == nil)
        #expect(Fr(decimal: String(rDecimal.dropLast()) + "8") == nil)
        #expect(Fr(hex: Fr.modulus.hexString) == nil)
        #expect(Fq(hex: Fq.modulus.hexString) == nil)
        #expect(Fr(bigEndianBytes: Fr.modulus.bigEndianBytes) == nil)
        #expect(Fq(bigEndianBytes: Fq.modulus.bigEndianBytes) == nil)
        #expect(Fr(bigEndianBytes: [UInt8](repeating: 0xff, count: 32)) == nil)
        #expect(Fr(hex: "0x" + String(repeating: "f", count: 64)) == nil)
        #expect(Fr(hex: "0x1" + String(repeating: "0", count: 64)) == nil, "2²⁵⁶ must not wrap")
        #expect(Fr(decimal: String(repeating: "9", count: 80)) == nil, "overflow must not wrap")
        // Malformed input.
        #expect(Fr(decimal: "") == nil)
        #expect(Fr(decimal: "-1") == nil)
        #expect(Fr(decimal: "12a") == nil)
        #expect(Fr(hex: "0x") == nil)
        #expect(Fr(hex: "0xg1") == nil)
        #expect(Fr(bigEndianBytes: [1]) == nil, "encoding must be exactly 32 bytes")
        #expect(Fr(bigEndianBytes: [UInt8](repeating: 0, count: 33)) == nil)
        // r − 1 is the largest accepted value.
        let rMinusOne = Fr.modulus.subtractingReportingOverflow(UInt256(1)).partialValue
        #expect(Fr(bigEndianBytes: rMinusOne.bigEndianBytes) == -Fr.one)
    }

    @Test("Decimal, hex and byte encodings round-trip")
    func roundTrips() throws {
        var rng = SeededGenerator(state: 3)
        for _ in 0..<100 {
            let a = Fr.random(using: &rng)
            #expect(Fr(decimal: a.decimalString) == a)
            #expect(Fr(hex: a.hexString) == a)
            #expect(Fr(bigEndianBytes: a.bigEndianBytes) == a)
            #expect(a.bigEndianBytes.count == 32)
            let b = Fq.random(using: &rng)
            #expect(Fq(decimal: b.decimalString) == b)
            #expect(Fq(hex: b.hexString) == b)
            #expect(Fq(bigEndianBytes: b.bigEndianBytes) == b)
        }
        #expect(Fr.zero.decimalString == "0")
        #expect(Fr(10_000_000_000_000_000_000 as UInt64).decimalString == "10000000000000000000")
        #expect(Fr(255).hexString == "0x" + String(repeating: "0", count: 62) + "ff")
        #expect(Fr(hex: "FF") == Fr(255))
        #expect(Fr(hex: "0x00ff") == Fr(255))
        let big = try #require(Fr(decimal: "7853200120776062878684798364095072458815029376092732009249414926327459813530"))
        #expect(big.hexString == "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a")
    }

    @Test("Equal elements hash equally")
    func hashing() {
        let set: Set<Fr> = [Fr(1), Fr(2), Fr(1) + Fr(1), Fr(hex: "0x01") ?? .zero]
        #expect(set.count == 2)
    }

    @Test("The Fr root of unity has exact order 2²⁸ and equals 5^((r−1)/2²⁸)")
    func rootOfUnity() {
        let omega = Fr.rootOfUnity
        #expect(Fr.twoAdicity == 28)
        #expect(omega.decimalString
            == "19103219067921713944291392827692070036145651957329286315305642004821462161904")
        var power = omega
        for _ in 0..<27 { power = power.square() }
        // ω^(2²⁷) = −1 ≠ 1 and ω^(2²⁸) = 1: the order is exactly 2²⁸.
        #expect(power == -Fr.one)
        #expect(power.square() == Fr.one)
        // r − 1 = 2²⁸ · T with T odd; ω = g^T.
        let rMinusOne = Fr.modulus.subtractingReportingOverflow(UInt256(1)).partialValue
        var t = rMinusOne
        for _ in 0..<28 {
            t = UInt256(t.l0 >> 1 | t.l1 << 63, t.l1 >> 1 | t.l2 << 63, t.l2 >> 1 | t.l3 << 63, t.l3 >> 1)
        }
        #expect(t.l0 & 1 == 1, "T must be odd")
        #expect(Fr.multiplicativeGenerator.pow(t) == omega)
    }
}
