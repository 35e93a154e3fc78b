/// Static description of a curve y² = x³ + b (a = 0) with a prime-order subgroup of order r.
///
/// Conformers are caseless enums, like `PrimeFieldParameters`, so the generic point code
/// specialises into straight-line arithmetic per curve.
public protocol ShortWeierstrassCurve: Sendable {
    /// The field of the coordinates.
    associatedtype BaseField: FieldArithmetic
    /// The constant term b.
    static var b: BaseField { get }
    /// The affine coordinates of the chosen generator of the order-r subgroup.
    static var generatorCoordinates: (x: BaseField, y: BaseField) { get }
    /// Whether an on-curve point lies in the order-r subgroup.
    static func isInPrimeOrderSubgroup(_ point: JacobianPoint<Self>) -> Bool
}

extension ShortWeierstrassCurve {
    /// Whether (x, y) satisfies y² = x³ + b.
    @inlinable
    static func satisfiesEquation(x: BaseField, y: BaseField) -> Bool {
        y.square() == x.square() * x + b
    }
}

/// The order r of the BN254 groups G1 and G2 (the modulus of `Fr`), as an integer scalar:
/// r·P = O is the subgroup test, and r itself is not representable as an `Fr`.
@usableFromInline
let groupOrder = FrParameters.modulus
