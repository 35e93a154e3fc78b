/// Montgomery multiplication (CIOS, "no-carry" variant).
///
/// The no-carry variant skips the extra carry word of textbook CIOS; it is valid because
/// the modulus's top limb is below (2⁶⁴ − 1)/2 − 1, which holds for both BN254 fields.
/// `UInt128` products compile to a single `mul` plus adds, matching C with `__int128`.
extension PrimeField {
    /// a·b·R⁻¹ mod m for a, b < m.
    @inlinable @inline(__always)
    static func montgomeryProduct(_ a: UInt256, _ b: UInt256) -> UInt256 {
        let q = P.modulus
        let inv = P.negativeModulusInverse
        var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0
        montgomeryRound(&t0, &t1, &t2, &t3, a, b.l0, q, inv)
        montgomeryRound(&t0, &t1, &t2, &t3, a, b.l1, q, inv)
        montgomeryRound(&t0, &t1, &t2, &t3, a, b.l2, q, inv)
        montgomeryRound(&t0, &t1, &t2, &t3, a, b.l3, q, inv)
        return reduceOnce(UInt256(t0, t1, t2, t3))
    }

    /// One outer iteration: t ← (t + a·bᵢ + k·m) / 2⁶⁴ with k chosen to clear the low word.
    @inlinable @inline(__always)
    static func montgomeryRound(
        _ t0: inout UInt64, _ t1: inout UInt64, _ t2: inout UInt64, _ t3: inout UInt64,
        _ a: UInt256, _ bi: UInt64, _ q: UInt256, _ inv: UInt64
    ) {
        var (lo, carryA) = multiplyAdd(a.l0, bi, t0, 0)
        let k = lo &* inv
        var (_, carryM) = multiplyAdd(k, q.l0, lo, 0)

        (lo, carryA) = multiplyAdd(a.l1, bi, t1, carryA)
        (t0, carryM) = multiplyAdd(k, q.l1, lo, carryM)

        (lo, carryA) = multiplyAdd(a.l2, bi, t2, carryA)
        (t1, carryM) = multiplyAdd(k, q.l2, lo, carryM)

        (lo, carryA) = multiplyAdd(a.l3, bi, t3, carryA)
        (t2, carryM) = multiplyAdd(k, q.l3, lo, carryM)

        t3 = carryA &+ carryM
    }
}

/// x·y + a + c as (low, high); cannot overflow 128 bits.
@inlinable @inline(__always)
func multiplyAdd(_ x: UInt64, _ y: UInt64, _ a: UInt64, _ c: UInt64) -> (UInt64, UInt64) {
    let wide = UInt128(x) &* UInt128(y) &+ UInt128(a) &+ UInt128(c)
    return (UInt64(truncatingIfNeeded: wide), UInt64(truncatingIfNeeded: wide &>> 64))
}
