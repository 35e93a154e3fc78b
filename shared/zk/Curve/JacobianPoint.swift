/// A point in Jacobian coordinates: (X, Y, Z) represents the affine (X/Z², Y/Z³), and Z = 0
/// is the point at infinity. Arithmetic happens here because it needs no inversions.
@frozen
public struct JacobianPoint<Curve: ShortWeierstrassCurve>: Sendable {
    /// The X coordinate.
    public var x: Curve.BaseField
    /// The Y coordinate.
    public var y: Curve.BaseField
    /// The Z coordinate (zero for the identity).
    public var z: Curve.BaseField

    /// Wraps raw Jacobian coordinates (no validation).
    @inlinable @inline(__always)
    public init(x: Curve.BaseField, y: Curve.BaseField, z: Curve.BaseField) {
        self.x = x
        self.y = y
        self.z = z
    }

    /// Lifts an affine point (Z = 1, or the identity).
    @inlinable
    public init(_ point: AffinePoint<Curve>) {
        self = point.isIdentity ? .identity : JacobianPoint(x: point.x, y: point.y, z: .one)
    }

    /// The point at infinity.
    @inlinable
    public static var identity: JacobianPoint { JacobianPoint(x: .one, y: .one, z: .zero) }

    /// The fixed generator of the order-r subgroup.
    @inlinable
    public static var generator: JacobianPoint { JacobianPoint(AffinePoint.generator) }

    /// Whether this is the point at infinity.
    @inlinable
    public var isIdentity: Bool { z.isZero }

    /// Whether the point satisfies the curve equation Y² = X³ + b·Z⁶ (the identity does).
    @inlinable
    public var isOnCurve: Bool {
        if isIdentity { return true }
        let zSquared = z.square()
        let zSixth = zSquared.square() * zSquared
        return y.square() == x.square() * x + Curve.b * zSixth
    }

    /// Whether the point lies in the order-r subgroup.
    public var isInSubgroup: Bool { Curve.isInPrimeOrderSubgroup(self) }

    /// The affine form (one field inversion).
    @inlinable
    public func toAffine() -> AffinePoint<Curve> {
        guard let zInverse = z.inverse() else { return .identity }
        let zInverseSquared = zInverse.square()
        return AffinePoint(unchecked: x * zInverseSquared, y * zInverseSquared * zInverse)
    }

    /// Converts many points with a single field inversion (Montgomery's trick).
    public static func batchToAffine(_ points: [JacobianPoint]) -> [AffinePoint<Curve>] {
        // prefix[i] is the product of the non-zero Z's before i.
        var prefix: [Curve.BaseField] = []
        prefix.reserveCapacity(points.count)
        var running = Curve.BaseField.one
        for point in points {
            prefix.append(running)
            if !point.isIdentity { running = running * point.z }
        }
        // running is a product of non-zero elements, so it is invertible.
        guard var inverse = running.inverse() else { return points.map { $0.toAffine() } }
        var result = [AffinePoint<Curve>](repeating: .identity, count: points.count)
        for index in points.indices.reversed() where !points[index].isIdentity {
            let point = points[index]
            let zInverse = inverse * prefix[index]
            inverse = inverse * point.z
            let zInverseSquared = zInverse.square()
            result[index] = AffinePoint(unchecked: point.x * zInverseSquared, point.y * zInverseSquared * zInverse)
        }
        return result
    }
}

extension JacobianPoint: Equatable {
    /// Group equality, independent of the Jacobian representative:
    /// X₁Z₂² = X₂Z₁² and Y₁Z₂³ = Y₂Z₁³.
    @inlinable
    public static func == (lhs: JacobianPoint, rhs: JacobianPoint) -> Bool {
        if lhs.isIdentity || rhs.isIdentity { return lhs.isIdentity && rhs.isIdentity }
        let lhsZSquared = lhs.z.square()
        let rhsZSquared = rhs.z.square()
        guard lhs.x * rhsZSquared == rhs.x * lhsZSquared else { return false }
        return lhs.y * rhsZSquared * rhs.z == rhs.y * lhsZSquared * lhs.z
    }
}
