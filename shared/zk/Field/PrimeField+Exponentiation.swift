/// Exponentiation and inversion.
extension PrimeField {
    /// `self` raised to the exponent given as little-endian 64-bit limbs (square-and-multiply).
    @inlinable
    public func pow(_ exponent: [UInt64]) -> Self {
        var result = Self.one
        for limb in exponent.reversed() {
            for shift in stride(from: 63, through: 0, by: -1) {
                result = result.square()
                if (limb >> UInt64(shift)) & 1 == 1 { result *= self }
            }
        }
        return result
    }

    /// `self` raised to a 256-bit exponent.
    @inlinable
    public func pow(_ exponent: UInt256) -> Self {
        pow(exponent.limbs)
    }

    /// The multiplicative inverse, or nil for zero.
    ///
    /// Uses Fermat's little theorem (a^(m−2)); constant work and simple to verify.
    @inlinable
    public func inverse() -> Self? {
        guard !isZero else { return nil }
        let exponent = P.modulus.subtractingReportingOverflow(UInt256(2)).partialValue
        return pow(exponent)
    }

    /// `lhs · rhs⁻¹`, or nil when `rhs` is zero.
    @inlinable
    public static func / (lhs: Self, rhs: Self) -> Self? {
        rhs.inverse().map { lhs * $0 }
    }
}
