/// Σ aₖ·bₖ over Fr with one Montgomery reduction instead of one per product — the linear
/// layers of Poseidon (17-term rows for the leaf hash) are almost all of sealing's work, and
/// the schoolbook product alone costs half of a full Montgomery multiplication.
///
/// Why it is exact: inputs are fully reduced (< r), so the sum T of up to 22 products is
/// < 22·r² ≈ 0.79·2⁵¹² (r²/2⁵¹² ≈ 0.036), and T plus the reduction's q·r
/// (< 2²⁵⁶·r ≈ 0.19·2⁵¹²) still fits in 8 limbs. Montgomery reduction gives
/// (T + q·r)/2²⁵⁶ < 22·0.036·5.3·r + r < 5.2·r, and three conditional subtractions
/// (4r, 2r, r) bring that below r. Products are summed by
/// columns (Comba), each column in a 192-bit accumulator, so no carry chain runs across the
/// whole 512-bit sum per product.
enum FrSumOfProducts {
    /// Most terms per call (keeps T + q·r < 2⁵¹² and the reduced value < 8r).
    static let maximumTerms = 22

    /// A 192-bit column accumulator.
    struct Column {
        var low: UInt128 = 0
        var high: UInt64 = 0

        @inline(__always)
        mutating func add(_ x: UInt64, _ y: UInt64) {
            let (sum, overflow) = low.addingReportingOverflow(UInt128(x) &* UInt128(y))
            low = sum
            high &+= overflow ? 1 : 0
        }

        /// Emits the low word and shifts the accumulator down by 64 bits.
        @inline(__always)
        mutating func shift() -> UInt64 {
            let word = UInt64(truncatingIfNeeded: low)
            low = (low &>> 64) | (UInt128(high) &<< 64)
            high = 0
            return word
        }
    }

    /// Σ a[k]·b[k] for k in 0..<count, fully reduced. count ≤ `maximumTerms` is guaranteed by
    /// the callers' fixed shapes.
    ///
    /// One pass over the terms per product column (7 passes), each pass a tight loop whose
    /// single 192-bit accumulator stays in registers; the accumulator carries into the next
    /// column.
    @inline(__always)
    static func sum(_ a: UnsafePointer<Fr>, _ b: UnsafePointer<Fr>, count: Int) -> Fr {
        var column = Column()
        let end = a + count
        @inline(__always)
        func pass(_ body: (UInt256, UInt256, inout Column) -> Void) -> UInt64 {
            var pa = a, pb = b
            while pa < end {
                body(pa.pointee.montgomery, pb.pointee.montgomery, &column)
                pa += 1; pb += 1
            }
            return column.shift()
        }
        let t0 = pass { x, y, c in c.add(x.l0, y.l0) }
        let t1 = pass { x, y, c in c.add(x.l0, y.l1); c.add(x.l1, y.l0) }
        let t2 = pass { x, y, c in c.add(x.l0, y.l2); c.add(x.l1, y.l1); c.add(x.l2, y.l0) }
        let t3 = pass { x, y, c in c.add(x.l0, y.l3); c.add(x.l1, y.l2); c.add(x.l2, y.l1); c.add(x.l3, y.l0) }
        let t4 = pass { x, y, c in c.add(x.l1, y.l3); c.add(x.l2, y.l2); c.add(x.l3, y.l1) }
        let t5 = pass { x, y, c in c.add(x.l2, y.l3); c.add(x.l3, y.l2) }
        let t6 = pass { x, y, c in c.add(x.l3, y.l3) }
        let t7 = column.shift()
        return Fr(montgomery: reduce(t0, t1, t2, t3, t4, t5, t6, t7))
    }

    /// Montgomery reduction of an 8-limb T with T + 2²⁵⁶·r < 2⁵¹² (so the result is < 8r),
    /// fully reduced.
    @inline(__always)
    static func reduce(
        _ t0: UInt64, _ t1: UInt64, _ t2: UInt64, _ t3: UInt64,
        _ t4: UInt64, _ t5: UInt64, _ t6: UInt64, _ t7: UInt64
    ) -> UInt256 {
        let q = FrParameters.modulus
        let inv = FrParameters.negativeModulusInverse
        var t = (t0, t1, t2, t3, t4, t5, t6, t7)
        // Round i clears limb i; its carry-out goes into limb i + 4 and ripples upwards. The
        // total stays below 2⁵¹², so nothing carries out of limb 7.
        @inline(__always)
        func round(_ lowest: UInt64, _ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64) -> UInt64 {
            let m = lowest &* inv
            var (_, carry) = multiplyAdd(m, q.l0, lowest, 0)
            (a, carry) = multiplyAdd(m, q.l1, a, carry)
            (b, carry) = multiplyAdd(m, q.l2, b, carry)
            (c, carry) = multiplyAdd(m, q.l3, c, carry)
            return carry
        }
        var carry = round(t.0, &t.1, &t.2, &t.3)
        var bit: UInt64
        (t.4, bit) = addWithCarry(t.4, carry, 0); (t.5, bit) = addWithCarry(t.5, 0, bit)
        (t.6, bit) = addWithCarry(t.6, 0, bit); t.7 &+= bit
        carry = round(t.1, &t.2, &t.3, &t.4)
        (t.5, bit) = addWithCarry(t.5, carry, 0); (t.6, bit) = addWithCarry(t.6, 0, bit); t.7 &+= bit
        carry = round(t.2, &t.3, &t.4, &t.5)
        (t.6, bit) = addWithCarry(t.6, carry, 0); t.7 &+= bit
        carry = round(t.3, &t.4, &t.5, &t.6)
        t.7 &+= carry
        var value = UInt256(t.4, t.5, t.6, t.7)
        value = subtractIfNotBelow(value, fourModulus)
        value = subtractIfNotBelow(value, twoModulus)
        return subtractIfNotBelow(value, q)
    }

    /// 2r (literal, so the hot loop has no lazy-global check; a test compares it with r + r).
    @inline(__always)
    static var twoModulus: UInt256 {
        UInt256(0x87c3_eb27_e000_0002, 0x5067_d090_f372_e122, 0x70a0_8b6d_0302_b0ba, 0x60c8_9ce5_c263_4053)
    }

    /// 4r (< 2²⁵⁶).
    @inline(__always)
    static var fourModulus: UInt256 {
        UInt256(0x0f87_d64f_c000_0004, 0xa0cf_a121_e6e5_c245, 0xe141_16da_0605_6174, 0xc191_39cb_84c6_80a6)
    }

    /// `value − bound` if value ≥ bound, else value (branch-free).
    @inline(__always)
    static func subtractIfNotBelow(_ value: UInt256, _ bound: UInt256) -> UInt256 {
        let (difference, borrow) = value.subtractingWithBorrowWord(bound)
        return difference.selecting(value, when: borrow)
    }
}
