/// BN254 G1: y² = x³ + 3 over Fq, generator (1, 2), cofactor 1.
public enum BN254G1: ShortWeierstrassCurve {
    /// b = 3.
    @inlinable
    public static var b: Fq { Fq(3) }

    /// The generator (1, 2).
    @inlinable
    public static var generatorCoordinates: (x: Fq, y: Fq) { (Fq(1), Fq(2)) }

    /// Always true: the cofactor is 1, so every on-curve point has order dividing r.
    @inlinable
    public static func isInPrimeOrderSubgroup(_: JacobianPoint<BN254G1>) -> Bool { true }
}

/// A G1 point in affine coordinates; `init(x:y:)` validates.
public typealias G1Affine = AffinePoint<BN254G1>

/// A G1 point in Jacobian coordinates, for arithmetic.
public typealias G1Jacobian = JacobianPoint<BN254G1>
