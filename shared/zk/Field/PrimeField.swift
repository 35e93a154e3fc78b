/// An element of the prime field described by `P`, held in Montgomery form (value·R mod m).
///
/// The representation is always fully reduced, so equal elements have equal limbs and the
/// synthesised `Hashable` conformance is correct. Standard form appears only at the
/// boundaries (bytes, strings, `standardValue`).
@frozen
public struct PrimeField<P: PrimeFieldParameters>: Hashable, Sendable {
    /// The Montgomery representation (value·R mod m).
    @usableFromInline
    var montgomery: UInt256

    /// Wraps an already reduced Montgomery representation.
    @inlinable @inline(__always)
    init(montgomery: UInt256) {
        self.montgomery = montgomery
    }

    /// The additive identity.
    @inlinable
    public static var zero: Self { Self(montgomery: .zero) }

    /// The multiplicative identity.
    @inlinable
    public static var one: Self { Self(montgomery: P.montgomeryR) }

    /// The field modulus.
    @inlinable
    public static var modulus: UInt256 { P.modulus }

    /// The element equal to `value` (reduced modulo m, which is a no-op for m > 2⁶⁴).
    @inlinable
    public init(_ value: UInt64) {
        self.init(reducedStandard: UInt256(value))
    }

    /// The element whose standard value is `value`; nil unless `value < m` (canonical).
    @inlinable
    public init?(_ value: UInt256) {
        guard value < P.modulus else { return nil }
        self.init(reducedStandard: value)
    }

    /// Converts a standard value already known to be below m.
    @inlinable @inline(__always)
    init(reducedStandard value: UInt256) {
        self.montgomery = Self.montgomeryProduct(value, P.montgomeryR2)
    }

    /// The standard-form integer in [0, m).
    @inlinable
    public var standardValue: UInt256 {
        Self.montgomeryProduct(montgomery, UInt256(1))
    }

    /// Whether this is the additive identity.
    @inlinable
    public var isZero: Bool { montgomery.isZero }
}

// MARK: - Arithmetic

extension PrimeField {
    /// Field addition.
    @inlinable @inline(__always)
    public static func + (lhs: Self, rhs: Self) -> Self {
        // Both operands are < m < 2²⁵⁵, so the 256-bit sum cannot overflow.
        let sum = lhs.montgomery.addingWithCarryWord(rhs.montgomery).0
        return Self(montgomery: reduceOnce(sum))
    }

    /// Field subtraction.
    @inlinable @inline(__always)
    public static func - (lhs: Self, rhs: Self) -> Self {
        let (difference, borrow) = lhs.montgomery.subtractingWithBorrowWord(rhs.montgomery)
        // On borrow add m back; the correction is selected, not branched on.
        let corrected = difference.addingWithCarryWord(P.modulus).0
        return Self(montgomery: difference.selecting(corrected, when: borrow))
    }

    /// Additive inverse (negation).
    @inlinable @inline(__always)
    public static prefix func - (value: Self) -> Self {
        value.isZero ? value : Self(montgomery: P.modulus.subtractingReportingOverflow(value.montgomery).partialValue)
    }

    /// Field multiplication (one Montgomery product).
    @inlinable @inline(__always)
    public static func * (lhs: Self, rhs: Self) -> Self {
        Self(montgomery: montgomeryProduct(lhs.montgomery, rhs.montgomery))
    }

    /// Adds in place.
    @inlinable @inline(__always)
    public static func += (lhs: inout Self, rhs: Self) { lhs = lhs + rhs }

    /// Subtracts in place.
    @inlinable @inline(__always)
    public static func -= (lhs: inout Self, rhs: Self) { lhs = lhs - rhs }

    /// Multiplies in place.
    @inlinable @inline(__always)
    public static func *= (lhs: inout Self, rhs: Self) { lhs = lhs * rhs }

    /// `self · self`.
    @inlinable @inline(__always)
    public func square() -> Self { self * self }

    /// `self + self`.
    @inlinable @inline(__always)
    public func doubled() -> Self { self + self }

    /// Subtracts m once if `value ≥ m`; valid for `value < 2m`.
    @inlinable @inline(__always)
    static func reduceOnce(_ value: UInt256) -> UInt256 {
        let (reduced, borrow) = value.subtractingWithBorrowWord(P.modulus)
        return reduced.selecting(value, when: borrow)
    }
}
