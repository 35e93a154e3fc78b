/// An element c0 + c1·u of Fq2 = Fq[u]/(u² + 1), the field over which G2 lives.
///
/// u² = −1 is a valid extension because p ≡ 3 (mod 4), so −1 is a non-residue in Fq.
@frozen
public struct Fq2: Hashable, Sendable {
    /// The constant coefficient.
    public var c0: Fq
    /// The coefficient of u.
    public var c1: Fq

    /// Creates c0 + c1·u.
    @inlinable @inline(__always)
    public init(_ c0: Fq, _ c1: Fq) {
        self.c0 = c0
        self.c1 = c1
    }

    /// The additive identity.
    @inlinable
    public static var zero: Fq2 { Fq2(.zero, .zero) }

    /// The multiplicative identity.
    @inlinable
    public static var one: Fq2 { Fq2(.one, .zero) }

    /// The generator u of the extension (u² = −1).
    @inlinable
    public static var u: Fq2 { Fq2(.zero, .one) }

    /// The non-residue ξ = 9 + u that defines Fq6 (v³ = ξ) and the D-type twist.
    @inlinable
    public static var xi: Fq2 { Fq2(Fq(9), .one) }

    /// Whether this is the additive identity.
    @inlinable
    public var isZero: Bool { c0.isZero && c1.isZero }

    /// A uniformly random element.
    public static func random(using generator: inout some RandomNumberGenerator) -> Fq2 {
        Fq2(Fq.random(using: &generator), Fq.random(using: &generator))
    }
}

// MARK: - Arithmetic

extension Fq2 {
    /// Addition.
    @inlinable @inline(__always)
    public static func + (lhs: Fq2, rhs: Fq2) -> Fq2 { Fq2(lhs.c0 + rhs.c0, lhs.c1 + rhs.c1) }

    /// Subtraction.
    @inlinable @inline(__always)
    public static func - (lhs: Fq2, rhs: Fq2) -> Fq2 { Fq2(lhs.c0 - rhs.c0, lhs.c1 - rhs.c1) }

    /// Negation.
    @inlinable @inline(__always)
    public static prefix func - (value: Fq2) -> Fq2 { Fq2(-value.c0, -value.c1) }

    /// Multiplication (Karatsuba: three Fq products instead of four).
    @inlinable @inline(__always)
    public static func * (lhs: Fq2, rhs: Fq2) -> Fq2 {
        let v0 = lhs.c0 * rhs.c0
        let v1 = lhs.c1 * rhs.c1
        let cross = (lhs.c0 + lhs.c1) * (rhs.c0 + rhs.c1)
        return Fq2(v0 - v1, cross - v0 - v1)
    }

    /// Multiplication by a base-field scalar.
    @inlinable @inline(__always)
    public static func * (lhs: Fq2, rhs: Fq) -> Fq2 { Fq2(lhs.c0 * rhs, lhs.c1 * rhs) }

    /// Adds in place.
    @inlinable @inline(__always)
    public static func += (lhs: inout Fq2, rhs: Fq2) { lhs = lhs + rhs }

    /// Subtracts in place.
    @inlinable @inline(__always)
    public static func -= (lhs: inout Fq2, rhs: Fq2) { lhs = lhs - rhs }

    /// Multiplies in place.
    @inlinable @inline(__always)
    public static func *= (lhs: inout Fq2, rhs: Fq2) { lhs = lhs * rhs }

    /// `self²` via (c0 + c1)(c0 − c1) + 2·c0·c1·u: two Fq products.
    @inlinable @inline(__always)
    public func square() -> Fq2 {
        let product = c0 * c1
        return Fq2((c0 + c1) * (c0 - c1), product.doubled())
    }

    /// `self + self`.
    @inlinable @inline(__always)
    public func doubled() -> Fq2 { Fq2(c0.doubled(), c1.doubled()) }

    /// The conjugate c0 − c1·u, which is also the p-power Frobenius map.
    @inlinable @inline(__always)
    public func conjugate() -> Fq2 { Fq2(c0, -c1) }

    /// The norm c0² + c1² = self · conjugate, an element of Fq.
    @inlinable
    public var norm: Fq { c0.square() + c1.square() }

    /// `self · ξ` with ξ = 9 + u, using additions only:
    /// (c0 + c1·u)(9 + u) = (9·c0 − c1) + (c0 + 9·c1)·u.
    @inlinable @inline(__always)
    public func multipliedByNonResidue() -> Fq2 {
        Fq2(Self.timesNine(c0) - c1, c0 + Self.timesNine(c1))
    }

    /// 9·x as 8·x + x (three doublings and one addition, cheaper than a product).
    @inlinable @inline(__always)
    static func timesNine(_ x: Fq) -> Fq { x.doubled().doubled().doubled() + x }

    /// The multiplicative inverse, or nil for zero: conjugate / norm (one Fq inversion).
    @inlinable
    public func inverse() -> Fq2? {
        guard let inverseNorm = norm.inverse() else { return nil }
        return Fq2(c0 * inverseNorm, -(c1 * inverseNorm))
    }

    /// `self` raised to a 256-bit exponent (square-and-multiply).
    @inlinable
    public func pow(_ exponent: UInt256) -> Fq2 {
        var result = Fq2.one
        for index in stride(from: exponent.bitWidth - 1, through: 0, by: -1) {
            result = result.square()
            if exponent.bit(index) { result *= self }
        }
        return result
    }
}

// MARK: - Square roots

extension Fq2 {
    /// A square root of `self`, or nil if `self` is not a square.
    ///
    /// Algorithm 9 of Adj and Rodríguez-Henríquez, "Square root computation over even
    /// extension fields" (valid because p ≡ 3 mod 4). The candidate is verified by squaring,
    /// so a wrong branch can only yield nil, never a wrong root.
    public func squareRoot() -> Fq2? {
        if isZero { return .zero }
        // (p − 3) / 4 = p >> 2, because p ≡ 3 (mod 4).
        let pMinus3Over4 = UInt256(0x4f08_2305_b61f_3f51, 0x65e0_5aa4_5a1c_72a3, 0x6e14_116d_a060_5617, 0x0c19_139c_b84c_680a)
        // (p − 1) / 2 = p >> 1.
        let pMinus1Over2 = UInt256(0x9e10_460b_6c3e_7ea3, 0xcbc0_b548_b438_e546, 0xdc28_22db_40c0_ac2e, 0x1832_2739_7098_d014)
        let a1 = pow(pMinus3Over4)
        let alpha = a1.square() * self
        let x0 = a1 * self
        let minusOne = -Fq2.one
        let candidate: Fq2
        if alpha == minusOne {
            candidate = Fq2.u * x0
        } else {
            candidate = (Fq2.one + alpha).pow(pMinus1Over2) * x0
        }
        return candidate.square() == self ? candidate : nil
    }
}

extension Fq2: CustomStringConvertible {
    /// `c0 + c1·u` with decimal standard-form coefficients.
    public var description: String { "\(c0) + \(c1)·u" }
}
