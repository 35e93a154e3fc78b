/// BN254 G2 on the D-type sextic twist y² = x³ + b′ over Fq2, b′ = 3/(9 + u).
///
/// The twist group has cofactor 2p − r, so untrusted points need an explicit subgroup check.
public enum BN254G2: ShortWeierstrassCurve {
    /// b′ = 3/(9 + u) = 19485874751759354771024239261021720505790618469301721065564631296452457478373
    /// + 266929791119991161246907387137283842545076965332900288569378510910307636690·u.
    @inlinable
    public static var b: Fq2 {
        Fq2(
            Fq(reducedStandard: UInt256(0x3267_e6dc_24a1_38e5, 0xb5b4_c5e5_59db_efa3, 0x81be_1899_1be0_6ac3, 0x2b14_9d40_ceb8_aaae)),
            Fq(reducedStandard: UInt256(0xe4a2_bd06_85c3_15d2, 0xa74f_a084_e52d_1852, 0xcd2c_afad_eed8_fdf4, 0x0097_13b0_3af0_fed4))
        )
    }

    /// The standard generator (EIP-197, arkworks, py_ecc).
    @inlinable
    public static var generatorCoordinates: (x: Fq2, y: Fq2) {
        let x = Fq2(
            Fq(reducedStandard: UInt256(0x46de_bd5c_d992_f6ed, 0x6743_22d4_f75e_dadd, 0x426a_0066_5e5c_4479, 0x1800_deef_121f_1e76)),
            Fq(reducedStandard: UInt256(0x97e4_85b7_aef3_12c2, 0xf1aa_4933_35a9_e712, 0x7260_bfb7_31fb_5d25, 0x198e_9393_920d_483a))
        )
        let y = Fq2(
            Fq(reducedStandard: UInt256(0x4ce6_cc01_66fa_7daa, 0xe3d1_e769_0c43_d37b, 0x4aab_7180_8dcb_408f, 0x12c8_5ea5_db8c_6deb)),
            Fq(reducedStandard: UInt256(0x55ac_dadc_d122_975b, 0xbc4b_3133_70b3_8ef3, 0xec9e_99ad_690c_3395, 0x0906_89d0_585f_f075))
        )
        return (x, y)
    }

    /// The cofactor 2p − r of the twist group.
    public static var cofactor: UInt256 {
        UInt256(0x345f_2299_c0f9_fa8d, 0x06ce_ecda_572a_2489, 0xb850_45b6_8181_585e, 0x3064_4e72_e131_a029)
    }

    /// The naive check r·P = O (zk.md §8.3); ~254 doublings and additions over Fq2.
    public static func isInPrimeOrderSubgroup(_ point: JacobianPoint<BN254G2>) -> Bool {
        point.multiplied(byInteger: groupOrder).isIdentity
    }
}

/// A G2 point in affine coordinates; `init(x:y:)` validates the curve equation and the subgroup.
public typealias G2Affine = AffinePoint<BN254G2>

/// A G2 point in Jacobian coordinates, for arithmetic.
public typealias G2Jacobian = JacobianPoint<BN254G2>
