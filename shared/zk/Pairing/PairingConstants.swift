/// Pairing constants, all derived at start-up from u, p, r and ξ rather than pasted, so a
/// typo cannot silently produce a wrong (but still bilinear-looking) pairing.
enum PairingConstants {
    /// The BN parameter u = 4965661367192848881 (zk.md §2).
    static let u: UInt64 = 0x44e9_92b4_4a69_09f1

    /// The optimal ate loop count 6u + 2 = 29793968203157093288 (65 bits, hence `UInt128`).
    static let ateLoopCount: UInt128 = 6 * UInt128(u) + 2

    /// The signed-digit (NAF) expansion of 6u + 2, most significant digit first, each in {−1, 0, 1}.
    ///
    /// NAF has fewer non-zero digits than binary, so the Miller loop does fewer addition steps.
    static let ateLoopNAF: [Int8] = nonAdjacentForm(ateLoopCount)

    /// ξ^((p − 1)/3): the Frobenius on the twist multiplies x̄ by this.
    static let twistFrobeniusX: Fq2 = Fq2.xi.pow(pMinusOne.quotientAndRemainder(dividingBy: 3).quotient)

    /// ξ^((p − 1)/2): the Frobenius on the twist multiplies ȳ by this.
    static let twistFrobeniusY: Fq2 = Fq2.xi.pow(pMinusOne.quotientAndRemainder(dividingBy: 2).quotient)

    /// The hard part of the final exponent, (p⁴ − p² + 1)/r, as little-endian limbs.
    static let hardExponent: [UInt64] = {
        let p = BigUInt(FqParameters.modulus)
        let p2 = p * p
        let numerator = (p2 * p2 - p2) + BigUInt(1)
        return numerator.quotientAndRemainder(dividingBy: BigUInt(FrParameters.modulus)).quotient.limbs
    }()

    /// p − 1 (p is odd, so this never borrows).
    private static var pMinusOne: UInt256 {
        FqParameters.modulus.subtractingReportingOverflow(UInt256(1)).partialValue
    }

    /// The NAF of `value`, most significant digit first.
    static func nonAdjacentForm(_ value: UInt128) -> [Int8] {
        var digits: [Int8] = []
        var n = value
        while n != 0 {
            if n & 1 == 1 {
                // Pick ±1 so that the remaining value is divisible by 4 (no two adjacent non-zeros).
                let digit: Int8 = (n & 3) == 3 ? -1 : 1
                digits.append(digit)
                n = digit == 1 ? n - 1 : n + 1
            } else {
                digits.append(0)
            }
            n >>= 1
        }
        return digits.reversed()
    }
}

/// A minimal arbitrary-precision unsigned integer (little-endian 64-bit limbs), used only at
/// start-up to derive exponents; it favours clarity over speed.
struct BigUInt: Equatable, Sendable {
    /// Little-endian limbs with no trailing zero limbs (zero is the empty array).
    private(set) var limbs: [UInt64]

    init(limbs: [UInt64]) {
        var trimmed = limbs
        while trimmed.last == 0 { trimmed.removeLast() }
        self.limbs = trimmed
    }

    init(_ value: UInt64) { self.init(limbs: [value]) }

    init(_ value: UInt256) { self.init(limbs: value.limbs) }

    var isZero: Bool { limbs.isEmpty }

    var bitWidth: Int {
        guard let top = limbs.last else { return 0 }
        return limbs.count * 64 - top.leadingZeroBitCount
    }

    func bit(_ index: Int) -> Bool {
        let word = index >> 6
        guard word < limbs.count else { return false }
        return (limbs[word] >> UInt64(index & 63)) & 1 == 1
    }

    static func + (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
        let count = max(lhs.limbs.count, rhs.limbs.count)
        var out = [UInt64](repeating: 0, count: count + 1)
        var carry: UInt64 = 0
        for index in 0..<count {
            let a = index < lhs.limbs.count ? lhs.limbs[index] : 0
            let b = index < rhs.limbs.count ? rhs.limbs[index] : 0
            (out[index], carry) = addWithCarry(a, b, carry)
        }
        out[count] = carry
        return BigUInt(limbs: out)
    }

    /// `lhs − rhs`; requires `lhs ≥ rhs`.
    static func - (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
        precondition(!(lhs < rhs), "BigUInt subtraction underflow")
        var out = lhs.limbs
        var borrow: UInt64 = 0
        for index in 0..<out.count {
            let b = index < rhs.limbs.count ? rhs.limbs[index] : 0
            (out[index], borrow) = subWithBorrow(out[index], b, borrow)
        }
        return BigUInt(limbs: out)
    }

    static func * (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
        var out = [UInt64](repeating: 0, count: lhs.limbs.count + rhs.limbs.count + 1)
        for (i, a) in lhs.limbs.enumerated() {
            var carry: UInt64 = 0
            for (j, b) in rhs.limbs.enumerated() {
                let wide = UInt128(a) * UInt128(b) + UInt128(out[i + j]) + UInt128(carry)
                out[i + j] = UInt64(truncatingIfNeeded: wide)
                carry = UInt64(truncatingIfNeeded: wide >> 64)
            }
            out[i + rhs.limbs.count] = carry
        }
        return BigUInt(limbs: out)
    }

    static func < (lhs: BigUInt, rhs: BigUInt) -> Bool {
        if lhs.limbs.count != rhs.limbs.count { return lhs.limbs.count < rhs.limbs.count }
        for index in stride(from: lhs.limbs.count - 1, through: 0, by: -1) where lhs.limbs[index] != rhs.limbs[index] {
            return lhs.limbs[index] < rhs.limbs[index]
        }
        return false
    }

    /// `2·self + (bit ? 1 : 0)`, the shift step of binary long division.
    private func shiftedLeftOne(insertingBit bit: Bool) -> BigUInt {
        var out = [UInt64](repeating: 0, count: limbs.count + 1)
        var carry: UInt64 = bit ? 1 : 0
        for (index, limb) in limbs.enumerated() {
            out[index] = (limb << 1) | carry
            carry = limb >> 63
        }
        out[limbs.count] = carry
        return BigUInt(limbs: out)
    }

    /// Binary long division (start-up only, so bit-at-a-time is fine); requires a non-zero divisor.
    func quotientAndRemainder(dividingBy divisor: BigUInt) -> (quotient: BigUInt, remainder: BigUInt) {
        precondition(!divisor.isZero, "BigUInt division by zero")
        var quotientLimbs = [UInt64](repeating: 0, count: limbs.count)
        var remainder = BigUInt(limbs: [])
        for index in stride(from: bitWidth - 1, through: 0, by: -1) {
            remainder = remainder.shiftedLeftOne(insertingBit: bit(index))
            if !(remainder < divisor) {
                remainder = remainder - divisor
                quotientLimbs[index >> 6] |= 1 << UInt64(index & 63)
            }
        }
        return (BigUInt(limbs: quotientLimbs), remainder)
    }
}
