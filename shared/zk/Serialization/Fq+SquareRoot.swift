/// Square roots in Fq and the "larger root" order used by point compression.
extension PrimeField where P == FqParameters {
    /// (p + 1)/4 = (p >> 2) + 1, valid because p ≡ 3 (mod 4).
    static var squareRootExponent: UInt256 {
        UInt256(0x4f08_2305_b61f_3f52, 0x65e0_5aa4_5a1c_72a3, 0x6e14_116d_a060_5617, 0x0c19_139c_b84c_680a)
    }

    /// A square root of `self`, or nil if `self` is not a square.
    ///
    /// Because p ≡ 3 (mod 4), a^((p+1)/4) squares to a·a^((p−1)/2) = ±a; the result is checked
    /// by squaring, so a non-residue yields nil, never a wrong root.
    public func squareRoot() -> Fq? {
        let candidate = pow(Self.squareRootExponent)
        return candidate.square() == self ? candidate : nil
    }

    /// Whether the standard value is greater than that of the negation (y > p − y), i.e.
    /// y > (p − 1)/2. Exactly one of y and −y is "larger" unless y = 0.
    var isLargerRoot: Bool {
        standardValue > Self.halfModulus
    }

    /// (p − 1)/2 = p >> 1.
    static var halfModulus: UInt256 {
        UInt256(0x9e10_460b_6c3e_7ea3, 0xcbc0_b548_b438_e546, 0xdc28_22db_40c0_ac2e, 0x1832_2739_7098_d014)
    }
}

extension Fq2 {
    /// The Fq2 "larger root" order: compare the imaginary part c1 first and fall back to c0
    /// only when c1 = 0 (the lexicographic order of (c1, c0), as arkworks and gnark use).
    /// −y negates both parts, so exactly one of y and −y is larger unless y = 0.
    var isLargerRoot: Bool {
        c1.isZero ? c0.isLargerRoot : c1.isLargerRoot
    }
}
