/// An element c0 + c1·v + c2·v² of Fq6 = Fq2[v]/(v³ − ξ), ξ = 9 + u.
@frozen
public struct Fq6: Hashable, Sendable {
    /// The constant coefficient.
    public var c0: Fq2
    /// The coefficient of v.
    public var c1: Fq2
    /// The coefficient of v².
    public var c2: Fq2

    /// Creates c0 + c1·v + c2·v².
    @inlinable @inline(__always)
    public init(_ c0: Fq2, _ c1: Fq2, _ c2: Fq2) {
        self.c0 = c0
        self.c1 = c1
        self.c2 = c2
    }

    /// The additive identity.
    @inlinable
    public static var zero: Fq6 { Fq6(.zero, .zero, .zero) }

    /// The multiplicative identity.
    @inlinable
    public static var one: Fq6 { Fq6(.one, .zero, .zero) }

    /// The generator v of the extension (v³ = ξ).
    @inlinable
    public static var v: Fq6 { Fq6(.zero, .one, .zero) }

    /// Whether this is the additive identity.
    @inlinable
    public var isZero: Bool { c0.isZero && c1.isZero && c2.isZero }

    /// A uniformly random element.
    public static func random(using generator: inout some RandomNumberGenerator) -> Fq6 {
        Fq6(Fq2.random(using: &generator), Fq2.random(using: &generator), Fq2.random(using: &generator))
    }
}

extension Fq6 {
    /// Addition.
    @inlinable @inline(__always)
    public static func + (lhs: Fq6, rhs: Fq6) -> Fq6 {
        Fq6(lhs.c0 + rhs.c0, lhs.c1 + rhs.c1, lhs.c2 + rhs.c2)
    }

    /// Subtraction.
    @inlinable @inline(__always)
    public static func - (lhs: Fq6, rhs: Fq6) -> Fq6 {
        Fq6(lhs.c0 - rhs.c0, lhs.c1 - rhs.c1, lhs.c2 - rhs.c2)
    }

    /// Negation.
    @inlinable @inline(__always)
    public static prefix func - (value: Fq6) -> Fq6 { Fq6(-value.c0, -value.c1, -value.c2) }

    /// Multiplication (Karatsuba-style interpolation: six Fq2 products instead of nine).
    @inlinable
    public static func * (lhs: Fq6, rhs: Fq6) -> Fq6 {
        let v0 = lhs.c0 * rhs.c0
        let v1 = lhs.c1 * rhs.c1
        let v2 = lhs.c2 * rhs.c2
        // Terms of degree ≥ 3 wrap around multiplied by ξ, because v³ = ξ.
        let c0 = v0 + ((lhs.c1 + lhs.c2) * (rhs.c1 + rhs.c2) - v1 - v2).multipliedByNonResidue()
        let c1 = (lhs.c0 + lhs.c1) * (rhs.c0 + rhs.c1) - v0 - v1 + v2.multipliedByNonResidue()
        let c2 = (lhs.c0 + lhs.c2) * (rhs.c0 + rhs.c2) - v0 - v2 + v1
        return Fq6(c0, c1, c2)
    }

    /// Multiplication by an Fq2 scalar.
    @inlinable @inline(__always)
    public static func * (lhs: Fq6, rhs: Fq2) -> Fq6 { Fq6(lhs.c0 * rhs, lhs.c1 * rhs, lhs.c2 * rhs) }

    /// Adds in place.
    @inlinable @inline(__always)
    public static func += (lhs: inout Fq6, rhs: Fq6) { lhs = lhs + rhs }

    /// Subtracts in place.
    @inlinable @inline(__always)
    public static func -= (lhs: inout Fq6, rhs: Fq6) { lhs = lhs - rhs }

    /// Multiplies in place.
    @inlinable @inline(__always)
    public static func *= (lhs: inout Fq6, rhs: Fq6) { lhs = lhs * rhs }

    /// `self²` (Chung–Hasan SQR2: two squarings and three products of Fq2).
    @inlinable
    public func square() -> Fq6 {
        let s0 = c0.square()
        let s1 = (c0 * c1).doubled()
        let s2 = (c0 - c1 + c2).square()
        let s3 = (c1 * c2).doubled()
        let s4 = c2.square()
        return Fq6(s0 + s3.multipliedByNonResidue(), s1 + s4.multipliedByNonResidue(), s1 + s2 + s3 - s0 - s4)
    }

    /// `self + self`.
    @inlinable @inline(__always)
    public func doubled() -> Fq6 { Fq6(c0.doubled(), c1.doubled(), c2.doubled()) }

    /// `self · v`: (c0, c1, c2) ↦ (ξ·c2, c0, c1), the non-residue that defines Fq12 (w² = v).
    @inlinable @inline(__always)
    public func multipliedByNonResidue() -> Fq6 { Fq6(c2.multipliedByNonResidue(), c0, c1) }

    /// The multiplicative inverse, or nil for zero (one Fq2 inversion via the adjugate).
    @inlinable
    public func inverse() -> Fq6? {
        let t0 = c0.square() - (c1 * c2).multipliedByNonResidue()
        let t1 = c2.square().multipliedByNonResidue() - c0 * c1
        let t2 = c1.square() - c0 * c2
        let determinant = c0 * t0 + (c2 * t1 + c1 * t2).multipliedByNonResidue()
        guard let inverseDeterminant = determinant.inverse() else { return nil }
        return Fq6(t0 * inverseDeterminant, t1 * inverseDeterminant, t2 * inverseDeterminant)
    }
}

// MARK: - Frobenius

extension Fq6 {
    /// ξ^((p − 1)/3): the Frobenius map sends v to v^p = ξ^((p − 1)/3)·v.
    @inlinable
    static var frobeniusCoefficient1: Fq2 {
        Fq2(
            Fq(reducedStandard: UInt256(0x99e3_9557_176f_553d, 0xb78c_c310_c2c3_330c, 0x4c0b_ec3c_f559_b143, 0x2fb3_4798_4f79_11f7)),
            Fq(reducedStandard: UInt256(0x1665_d51c_640f_cba2, 0x32ae_2a1d_0b7c_9dce, 0x4ba4_cc8b_d75a_0794, 0x16c9_e550_61eb_ae20))
        )
    }

    /// ξ^(2(p − 1)/3): the Frobenius map sends v² to ξ^(2(p − 1)/3)·v².
    @inlinable
    static var frobeniusCoefficient2: Fq2 {
        Fq2(
            Fq(reducedStandard: UInt256(0x848a_1f55_921e_a762, 0xd333_65f7_be94_ec72, 0x80f3_c0b7_5a18_1e84, 0x05b5_4f5e_64ee_a801)),
            Fq(reducedStandard: UInt256(0xc13b_4711_cd2b_8126, 0x3685_d2ea_1bde_c763, 0x9f3a_80b0_3b0b_1c92, 0x2c14_5edb_e7fd_8aee))
        )
    }

    /// `self^p`: conjugate each coefficient and rescale by the image of v and v².
    @inlinable
    public func frobenius() -> Fq6 {
        Fq6(
            c0.conjugate(),
            c1.conjugate() * Self.frobeniusCoefficient1,
            c2.conjugate() * Self.frobeniusCoefficient2
        )
    }
}

extension Fq6: CustomStringConvertible {
    /// The three Fq2 coefficients, lowest degree first.
    public var description: String { "(\(c0)) + (\(c1))·v + (\(c2))·v²" }
}
