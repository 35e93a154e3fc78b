/// Parameters of the BN254 (alt_bn128) base field, p = 36u⁴+36u³+24u²+6u+1.
public enum FqParameters: PrimeFieldParameters {
    @inlinable public static var modulus: UInt256 {
        UInt256(0x3c20_8c16_d87c_fd47, 0x9781_6a91_6871_ca8d, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029)
    }
    @inlinable public static var negativeModulusInverse: UInt64 { 0x87d2_0782_e486_6389 }
    @inlinable public static var montgomeryR: UInt256 {
        UInt256(0xd35d_438d_c58f_0d9d, 0x0a78_eb28_f5c7_0b3d, 0x666e_a36f_7879_462c, 0x0e0a_77c1_9a07_df2f)
    }
    @inlinable public static var montgomeryR2: UInt256 {
        UInt256(0xf32c_fc5b_538a_fa89, 0xb5e7_1911_d445_01fb, 0x47ab_1eff_0a41_7ff6, 0x06d8_9f71_cab8_351f)
    }
    @inlinable public static var modulusBitWidth: Int { 254 }
}

/// Parameters of the BN254 scalar field (the group order), r = 36u⁴+36u³+18u²+6u+1.
public enum FrParameters: PrimeFieldParameters {
    @inlinable public static var modulus: UInt256 {
        UInt256(0x43e1_f593_f000_0001, 0x2833_e848_79b9_7091, 0xb850_45b6_8181_585d, 0x3064_4e72_e131_a029)
    }
    @inlinable public static var negativeModulusInverse: UInt64 { 0xc2e1_f593_efff_ffff }
    @inlinable public static var montgomeryR: UInt256 {
        UInt256(0xac96_341c_4fff_fffb, 0x36fc_7695_9f60_cd29, 0x666e_a36f_7879_462e, 0x0e0a_77c1_9a07_df2f)
    }
    @inlinable public static var montgomeryR2: UInt256 {
        UInt256(0x1bb8_e645_ae21_6da7, 0x53fe_3ab1_e35c_59e3, 0x8c49_833d_53bb_8085, 0x0216_d0b1_7f4e_44a5)
    }
    @inlinable public static var modulusBitWidth: Int { 254 }
}

/// The BN254 base field, over which G1 coordinates live.
public typealias Fq = PrimeField<FqParameters>

/// The BN254 scalar field: Groth16 witnesses, Poseidon and circuit values live here.
public typealias Fr = PrimeField<FrParameters>

extension PrimeField where P == FrParameters {
    /// The largest s with 2ˢ | r − 1.
    public static var twoAdicity: Int { 28 }

    /// The multiplicative generator 5 (a quadratic non-residue), as in arkworks.
    public static var multiplicativeGenerator: Fr { Fr(5) }

    /// A primitive 2²⁸-th root of unity, 5^((r−1)/2²⁸).
    public static var rootOfUnity: Fr {
        Fr(reducedStandard: UInt256(
            0x9bd6_1b6e_725b_19f0, 0x402d_111e_4111_2ed4, 0x00e0_a7eb_8ef6_2abc, 0x2a3c_09f0_a58a_7e85
        ))
    }
}
