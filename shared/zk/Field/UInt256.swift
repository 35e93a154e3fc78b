/// A 256-bit unsigned integer stored as four little-endian 64-bit limbs.
///
/// This is the raw representation behind every prime-field element. It is a plain value
/// type (four stored words, no array) so arithmetic stays in registers and never allocates.
@frozen
public struct UInt256: Hashable, Sendable {
    /// Least significant limb.
    public var l0: UInt64
    /// Second limb.
    public var l1: UInt64
    /// Third limb.
    public var l2: UInt64
    /// Most significant limb.
    public var l3: UInt64

    /// Creates a value from four little-endian limbs (`l0` least significant).
    @inlinable
    public init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64) {
        self.l0 = l0
        self.l1 = l1
        self.l2 = l2
        self.l3 = l3
    }

    /// Creates a value equal to `value`.
    @inlinable
    public init(_ value: UInt64) {
        self.init(value, 0, 0, 0)
    }

    /// Zero.
    public static let zero = UInt256(0, 0, 0, 0)

    /// The limbs, least significant first.
    @inlinable
    public var limbs: [UInt64] { [l0, l1, l2, l3] }

    /// Whether every bit is zero.
    @inlinable
    public var isZero: Bool { (l0 | l1 | l2 | l3) == 0 }

    /// The bit at `index` (0 = least significant); indices ≥ 256 read as 0.
    @inlinable
    public func bit(_ index: Int) -> Bool {
        guard index >= 0, index < 256 else { return false }
        let limb: UInt64
        switch index >> 6 {
        case 0: limb = l0
        case 1: limb = l1
        case 2: limb = l2
        default: limb = l3
        }
        return (limb >> UInt64(index & 63)) & 1 == 1
    }

    /// Number of significant bits (0 for zero).
    @inlinable
    public var bitWidth: Int {
        if l3 != 0 { return 256 - l3.leadingZeroBitCount }
        if l2 != 0 { return 192 - l2.leadingZeroBitCount }
        if l1 != 0 { return 128 - l1.leadingZeroBitCount }
        return 64 - l0.leadingZeroBitCount
    }

    /// `self + other` and whether the sum overflowed 2²⁵⁶.
    @inlinable @inline(__always)
    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (s0, c0) = l0.addingReportingOverflow(other.l0)
        let (s1, c1) = addWithCarry(l1, other.l1, c0)
        let (s2, c2) = addWithCarry(l2, other.l2, c1)
        let (s3, c3) = addWithCarry(l3, other.l3, c2)
        return (UInt256(s0, s1, s2, s3), c3)
    }

    /// `self − other` and whether it borrowed (i.e. `other > self`).
    @inlinable @inline(__always)
    public func subtractingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (d0, b0) = l0.subtractingReportingOverflow(other.l0)
        let (d1, b1) = subWithBorrow(l1, other.l1, b0)
        let (d2, b2) = subWithBorrow(l2, other.l2, b1)
        let (d3, b3) = subWithBorrow(l3, other.l3, b2)
        return (UInt256(d0, d1, d2, d3), b3)
    }

    /// Whether `self < other`.
    @inlinable
    public func isLess(than other: UInt256) -> Bool {
        subtractingReportingOverflow(other).overflow
    }

    /// `self · factor + addend`, or nil if the result does not fit in 256 bits.
    @inlinable
    func multipliedAdding(_ factor: UInt64, _ addend: UInt64) -> UInt256? {
        var carry = addend
        var out = [l0, l1, l2, l3]
        for index in 0..<4 {
            let product = UInt128(out[index]) * UInt128(factor) + UInt128(carry)
            out[index] = UInt64(truncatingIfNeeded: product)
            carry = UInt64(truncatingIfNeeded: product >> 64)
        }
        guard carry == 0 else { return nil }
        return UInt256(out[0], out[1], out[2], out[3])
    }

    /// Quotient and remainder of division by a non-zero 64-bit divisor.
    @inlinable
    func quotientAndRemainder(dividingBy divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        precondition(divisor != 0, "division by zero")
        var remainder: UInt64 = 0
        var words = [l3, l2, l1, l0]
        for index in 0..<4 {
            // remainder < divisor, so the two-word dividend never overflows the quotient word.
            let (q, r) = divisor.dividingFullWidth((remainder, words[index]))
            words[index] = q
            remainder = r
        }
        return (UInt256(words[3], words[2], words[1], words[0]), remainder)
    }
}

extension UInt256: Comparable {
    @inlinable
    public static func < (lhs: UInt256, rhs: UInt256) -> Bool { lhs.isLess(than: rhs) }
}

/// `a + b + carry` with the outgoing carry.
@inlinable @inline(__always)
func addWithCarry(_ a: UInt64, _ b: UInt64, _ carry: Bool) -> (UInt64, Bool) {
    let (s, c1) = a.addingReportingOverflow(b)
    let (t, c2) = s.addingReportingOverflow(carry ? 1 : 0)
    return (t, c1 || c2)
}

/// `a − b − borrow` with the outgoing borrow.
@inlinable @inline(__always)
func subWithBorrow(_ a: UInt64, _ b: UInt64, _ borrow: Bool) -> (UInt64, Bool) {
    let (d, b1) = a.subtractingReportingOverflow(b)
    let (e, b2) = d.subtractingReportingOverflow(borrow ? 1 : 0)
    return (e, b1 || b2)
}
