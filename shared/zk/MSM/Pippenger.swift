/// Internals of the bucket method: scalar decomposition into signed digits, per-window
/// bucket sums and the final combination.
@usableFromInline
enum Pippenger {
    /// Widest window supported; digits stay within `Int32` and buckets within memory.
    @usableFromInline static let maxWidth = 16

    /// Bits of a canonical scalar (every standard value is below r < 2²⁵⁴).
    @inlinable static var scalarBits: Int { FrParameters.modulusBitWidth }

    /// Windows needed for width `width`: the top window must absorb the final carry of the
    /// signed recoding, which requires windowCount · c ≥ scalarBits + 1.
    @inlinable static func windowCount(width: Int) -> Int {
        (scalarBits + width) / width
    }

    /// `width` bits of `value` starting at bit `start` (bits past 255 read as zero).
    @inlinable @inline(__always)
    static func bits(of value: UInt256, at start: Int, width: Int) -> UInt64 {
        let index = start >> 6
        let shift = UInt64(start & 63)
        var word = limb(value, index) >> shift
        // The window straddles two limbs; pull in the low bits of the next one.
        if shift != 0, Int(shift) + width > 64, index < 3 {
            word |= limb(value, index + 1) << (64 - shift)
        }
        return word & ((1 << UInt64(width)) - 1)
    }

    /// Limb `index` (0…3) of `value`, zero beyond.
    @inlinable @inline(__always)
    static func limb(_ value: UInt256, _ index: Int) -> UInt64 {
        switch index {
        case 0: value.l0
        case 1: value.l1
        case 2: value.l2
        case 3: value.l3
        default: 0
        }
    }

    /// Everything one MSM needs, prepared once: the non-trivial terms and their signed digits.
    @usableFromInline
    struct Plan<C: ShortWeierstrassCurve>: Sendable {
        /// Points whose scalar is non-zero and which are not the identity.
        @usableFromInline let points: [AffinePoint<C>]
        /// Window width c.
        @usableFromInline let width: Int
        /// Number of windows.
        @usableFromInline let windowCount: Int
        /// Digits, window-major: `digits[window * count + term]`, each in (−2ᶜ⁻¹, 2ᶜ⁻¹].
        @usableFromInline let digits: [Int32]

        /// Number of terms kept.
        @inlinable var count: Int { points.count }

        /// Buckets per window: one per non-zero digit magnitude 1…2ᶜ⁻¹.
        @inlinable var bucketCount: Int { 1 << (width - 1) }

        /// Validates lengths, drops trivial terms and recodes the scalars.
        @inlinable init(points allPoints: [AffinePoint<C>], scalars: [Fr]) throws(MSMError) {
            guard allPoints.count == scalars.count else {
                throw .lengthMismatch(points: allPoints.count, scalars: scalars.count)
            }
            var kept = [AffinePoint<C>]()
            var values = [UInt256]()
            kept.reserveCapacity(allPoints.count)
            values.reserveCapacity(allPoints.count)
            for (point, scalar) in zip(allPoints, scalars) where !point.isIdentity {
                // Out of Montgomery form once, up front, rather than once per window.
                let value = scalar.standardValue
                if value.isZero { continue }
                kept.append(point)
                values.append(value)
            }
            let width = MSM.windowWidth(forCount: kept.count)
            let windowCount = Pippenger.windowCount(width: width)
            self.points = kept
            self.width = width
            self.windowCount = windowCount
            self.digits = Plan.recode(values, width: width, windowCount: windowCount)
        }

        /// Signed-digit recoding: a window value above 2ᶜ⁻¹ becomes value − 2ᶜ with a carry
        /// into the next window, halving the bucket count compared with unsigned digits.
        @inlinable static func recode(_ values: [UInt256], width: Int, windowCount: Int) -> [Int32] {
            let count = values.count
            let full = Int64(1) << Int64(width)
            let half = full >> 1
            var digits = [Int32](repeating: 0, count: count * windowCount)
            digits.withUnsafeMutableBufferPointer { out in
                for (term, value) in values.enumerated() {
                    var carry: Int64 = 0
                    for window in 0..<windowCount {
                        var digit = Int64(Pippenger.bits(of: value, at: window * width, width: width)) + carry
                        if digit > half {
                            digit -= full
                            carry = 1
                        } else {
                            carry = 0
                        }
                        out[window * count + term] = Int32(truncatingIfNeeded: digit)
                    }
                    // windowCount · c ≥ 255 guarantees the top window never carries out.
                    assert(carry == 0, "signed recoding overflowed the top window")
                }
            }
            return digits
        }

        /// Σ_w 2^(c·w) · windowSums[w], by Horner's rule from the top window.
        @inlinable func combine(_ windowSums: [JacobianPoint<C>]) -> JacobianPoint<C> {
            var result = JacobianPoint<C>.identity
            for sum in windowSums.reversed() {
                for _ in 0..<width { result = result.doubled() }
                result += sum
            }
            return result
        }
    }
}
