/// An element c0 + c1·w of Fq12 = Fq6[w]/(w² − v), the pairing target field.
@frozen
public struct Fq12: Hashable, Sendable {
    /// The constant coefficient.
    public var c0: Fq6
    /// The coefficient of w.
    public var c1: Fq6

    /// Creates c0 + c1·w.
    @inlinable @inline(__always)
    public init(_ c0: Fq6, _ c1: Fq6) {
        self.c0 = c0
        self.c1 = c1
    }

    /// The additive identity.
    @inlinable
    public static var zero: Fq12 { Fq12(.zero, .zero) }

    /// The multiplicative identity.
    @inlinable
    public static var one: Fq12 { Fq12(.one, .zero) }

    /// The generator w of the extension (w² = v).
    @inlinable
    public static var w: Fq12 { Fq12(.zero, .one) }

    /// Whether this is the additive identity.
    @inlinable
    public var isZero: Bool { c0.isZero && c1.isZero }

    /// A uniformly random element.
    public static func random(using generator: inout some RandomNumberGenerator) -> Fq12 {
        Fq12(Fq6.random(using: &generator), Fq6.random(using: &generator))
    }
}

extension Fq12 {
    /// Addition.
    @inlinable @inline(__always)
    public static func + (lhs: Fq12, rhs: Fq12) -> Fq12 { Fq12(lhs.c0 + rhs.c0, lhs.c1 + rhs.c1) }

    /// Subtraction.
    @inlinable @inline(__always)
    public static func - (lhs: Fq12, rhs: Fq12) -> Fq12 { Fq12(lhs.c0 - rhs.c0, lhs.c1 - rhs.c1) }

    /// Negation.
    @inlinable @inline(__always)
    public static prefix func - (value: Fq12) -> Fq12 { Fq12(-value.c0, -value.c1) }

    /// Multiplication (Karatsuba: three Fq6 products).
    @inlinable
    public static func * (lhs: Fq12, rhs: Fq12) -> Fq12 {
        let v0 = lhs.c0 * rhs.c0
        let v1 = lhs.c1 * rhs.c1
        let cross = (lhs.c0 + lhs.c1) * (rhs.c0 + rhs.c1)
        return Fq12(v0 + v1.multipliedByNonResidue(), cross - v0 - v1)
    }

    /// Adds in place.
    @inlinable @inline(__always)
    public static func += (lhs: inout Fq12, rhs: Fq12) { lhs = lhs + rhs }

    /// Subtracts in place.
    @inlinable @inline(__always)
    public static func -= (lhs: inout Fq12, rhs: Fq12) { lhs = lhs - rhs }

    /// Multiplies in place.
    @inlinable @inline(__always)
    public static func *= (lhs: inout Fq12, rhs: Fq12) { lhs = lhs * rhs }

    /// `self²` by the complex method: two Fq6 products instead of three.
    @inlinable
    public func square() -> Fq12 {
        let product = c0 * c1
        let mixed = (c0 + c1) * (c0 + c1.multipliedByNonResidue())
        return Fq12(mixed - product - product.multipliedByNonResidue(), product.doubled())
    }

    /// `self + self`.
    @inlinable @inline(__always)
    public func doubled() -> Fq12 { Fq12(c0.doubled(), c1.doubled()) }

    /// The conjugate c0 − c1·w, i.e. the p⁶-power Frobenius map; it equals the inverse on
    /// the cyclotomic subgroup where pairing values live, which makes it the cheap inverse there.
    @inlinable @inline(__always)
    public func conjugate() -> Fq12 { Fq12(c0, -c1) }

    /// The multiplicative inverse, or nil for zero: conjugate / (c0² − v·c1²).
    @inlinable
    public func inverse() -> Fq12? {
        let denominator = c0.square() - c1.square().multipliedByNonResidue()
        guard let inverseDenominator = denominator.inverse() else { return nil }
        return Fq12(c0 * inverseDenominator, -(c1 * inverseDenominator))
    }

    /// `self` raised to the exponent given as little-endian 64-bit limbs (square-and-multiply).
    @inlinable
    public func pow(_ exponent: [UInt64]) -> Fq12 {
        var result = Fq12.one
        for limb in exponent.reversed() {
            for shift in stride(from: 63, through: 0, by: -1) {
                result = result.square()
                if (limb >> UInt64(shift)) & 1 == 1 { result *= self }
            }
        }
        return result
    }
}

// MARK: - Frobenius

extension Fq12 {
    /// ξ^((p − 1)/6): the Frobenius map sends w to w^p = ξ^((p − 1)/6)·w.
    @inlinable
    static var frobeniusCoefficient: Fq2 {
        Fq2(
            Fq(reducedStandard: UInt256(0xd60b_35da_dcc9_e470, 0x5c52_1e08_292f_2176, 0xe8b9_9fdd_76e6_8b60, 0x1284_b71c_2865_a7df)),
            Fq(reducedStandard: UInt256(0xca5c_f05f_80f3_62ac, 0x7479_9277_8eee_c7e5, 0xa632_7cfe_1215_0b8e, 0x2469_96f3_b4fa_e7e6))
        )
    }

    /// `self^p`, a few Fq2 products instead of a 254-bit exponentiation.
    @inlinable
    public func frobenius() -> Fq12 {
        Fq12(c0.frobenius(), c1.frobenius() * Self.frobeniusCoefficient)
    }

    /// `self^(p^power)` by repeating the p-power map.
    @inlinable
    public func frobenius(power: Int) -> Fq12 {
        var result = self
        for _ in 0..<power { result = result.frobenius() }
        return result
    }
}

extension Fq12: CustomStringConvertible {
    /// The two Fq6 coefficients.
    public var description: String { "(\(c0)) + (\(c1))·w" }
}
