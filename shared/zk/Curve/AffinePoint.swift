/// Why a coordinate pair was refused as a curve point.
public enum CurvePointError: Error, Equatable, Sendable {
    /// The coordinates do not satisfy the curve equation.
    case notOnCurve
    /// The point is on the curve but outside the prime-order subgroup.
    case notInSubgroup
}

/// A point in affine coordinates (x, y), or the point at infinity.
///
/// The representation is canonical (the identity always has zero coordinates), so the
/// synthesised `Hashable` and `==` agree with group equality.
@frozen
public struct AffinePoint<Curve: ShortWeierstrassCurve>: Hashable, Sendable {
    /// The x-coordinate (zero for the identity).
    public let x: Curve.BaseField
    /// The y-coordinate (zero for the identity).
    public let y: Curve.BaseField
    /// Whether this is the point at infinity.
    public let isIdentity: Bool

    /// Stores the fields as given.
    @inlinable @inline(__always)
    init(x: Curve.BaseField, y: Curve.BaseField, isIdentity: Bool) {
        self.x = x
        self.y = y
        self.isIdentity = isIdentity
    }

    /// Wraps coordinates without validation, for results of trusted arithmetic.
    @inlinable @inline(__always)
    init(unchecked x: Curve.BaseField, _ y: Curve.BaseField) {
        self.init(x: x, y: y, isIdentity: false)
    }

    /// Validates untrusted coordinates: they must lie on the curve and in the order-r subgroup.
    ///
    /// - Throws: `CurvePointError.notOnCurve` or `CurvePointError.notInSubgroup`.
    public init(x: Curve.BaseField, y: Curve.BaseField) throws(CurvePointError) {
        guard Curve.satisfiesEquation(x: x, y: y) else { throw .notOnCurve }
        let point = AffinePoint(unchecked: x, y)
        guard Curve.isInPrimeOrderSubgroup(JacobianPoint(point)) else { throw .notInSubgroup }
        self = point
    }

    /// The point at infinity, with zero coordinates so the representation stays canonical.
    @inlinable
    public static var identity: AffinePoint { AffinePoint(x: .zero, y: .zero, isIdentity: true) }

    /// The fixed generator of the order-r subgroup.
    @inlinable
    public static var generator: AffinePoint {
        let coordinates = Curve.generatorCoordinates
        return AffinePoint(unchecked: coordinates.x, coordinates.y)
    }

    /// Whether the point satisfies the curve equation (the identity does).
    @inlinable
    public var isOnCurve: Bool { isIdentity || Curve.satisfiesEquation(x: x, y: y) }

    /// Whether the point lies in the order-r subgroup.
    public var isInSubgroup: Bool { Curve.isInPrimeOrderSubgroup(JacobianPoint(self)) }

    /// The additive inverse (x, −y).
    @inlinable
    public static prefix func - (point: AffinePoint) -> AffinePoint {
        point.isIdentity ? point : AffinePoint(unchecked: point.x, -point.y)
    }
}
