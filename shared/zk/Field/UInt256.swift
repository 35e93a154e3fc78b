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
    @inlinable public static var zero: UInt256 { UInt256(0, 0, 0, 0) }

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
        let (sum, carry) = addingWithCarryWord(other)
        return (sum, carry != 0)
    }

    /// `self − other` and whether it borrowed (i.e. `other > self`).
    @inlinable @inline(__always)
    public func subtractingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (difference, borrow) = subtractingWithBorrowWord(other)
        return (difference, borrow != 0)
    }

    /// `self + other` with the outgoing carry as a 0/1 word (compiles to an `adc` chain).
    @inlinable @inline(__always)
    func addingWithCarryWord(_ other: UInt256) -> (UInt256, UInt64) {
        let (s0, c0) = addWithCarry(l0, other.l0, 0)
        let (s1, c1) = addWithCarry(l1, other.l1, c0)
        let (s2, c2) = addWithCarry(l2, other.l2, c1)
        let (s3, c3) = addWithCarry(l3, other.l3, c2)
        return (UInt256(s0, s1, s2, s3), c3)
    }

    /// `self − other` with the outgoing borrow as a 0/1 word (compiles to an `sbb` chain).
    @inlinable @inline(__always)
    func subtractingWithBorrowWord(_ other: UInt256) -> (UInt256, UInt64) {
        let (d0, b0) = subWithBorrow(l0, other.l0, 0)
        let (d1, b1) = subWithBorrow(l1, other.l1, b0)
        let (d2, b2) = subWithBorrow(l2, other.l2, b1)
        let (d3, b3) = subWithBorrow(l3, other.l3, b2)
        return (UInt256(d0, d1, d2, d3), b3)
    }

    /// `borrow == 0 ? self : other` without branching (`borrow` is 0 or 1), so unpredictable
    /// reductions cost no branch mispredictions.
    @inlinable @inline(__always)
    func selecting(_ other: UInt256, when flag: UInt64) -> UInt256 {
        let mask = 0 &- flag
        return UInt256(
            l0 ^ ((l0 ^ other.l0) & mask), l1 ^ ((l1 ^ other.l1) & mask),
            l2 ^ ((l2 ^ other.l2) & mask), l3 ^ ((l3 ^ other.l3) & mask)
        )
    }

    /// Whether `self < other`.
    @inlinable
    public func isLess(than other: UInt256) -> Bool {
        subtractingReportingOverflow(other).overflow
    }

    /// `self · factor + addend`, or nil if the result does not fit in 256 bits.
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
    /// Numeric order.
    @inlinable
    public static func < (lhs: UInt256, rhs: UInt256) -> Bool { lhs.isLess(than: rhs) }
}

/// `a + b + carry` (carry 0 or 1) with the outgoing carry word.
@inlinable @inline(__always)
func addWithCarry(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
    let wide = UInt128(a) &+ UInt128(b) &+ UInt128(carry)
    return (UInt64(truncatingIfNeeded: wide), UInt64(truncatingIfNeeded: wide &>> 64))
}

/// `a − b − borrow` (borrow 0 or 1) with the outgoing borrow word.
@inlinable @inline(__always)
func subWithBorrow(_ a: UInt64, _ b: UInt64, _ borrow: UInt64) -> (UInt64, UInt64) {
    let wide = UInt128(a) &- UInt128(b) &- UInt128(borrow)
    return (UInt64(truncatingIfNeeded: wide), UInt64(truncatingIfNeeded: wide &>> 127))
}
