/// Scalar multiplication by left-to-right double-and-add.
///
/// Not constant time: the running time depends on the scalar's bits, which is fine for
/// public scalars and for the prover's own randomness on a machine it controls.
extension JacobianPoint {
    /// `scalar · self` for an integer scalar (any 256-bit value, including multiples of r).
    @inlinable
    public func multiplied(byInteger scalar: UInt256) -> JacobianPoint {
        var result = JacobianPoint.identity
        for index in stride(from: scalar.bitWidth - 1, through: 0, by: -1) {
            result = result.doubled()
            if scalar.bit(index) { result += self }
        }
        return result
    }

    /// `scalar · self` for a scalar-field element.
    @inlinable
    public func multiplied(by scalar: Fr) -> JacobianPoint {
        multiplied(byInteger: scalar.standardValue)
    }

    /// `scalar · point`.
    @inlinable
    public static func * (scalar: Fr, point: JacobianPoint) -> JacobianPoint {
        point.multiplied(by: scalar)
    }
}

extension AffinePoint {
    /// `scalar · self` for an integer scalar, using the cheaper mixed addition.
    @inlinable
    public func multiplied(byInteger scalar: UInt256) -> JacobianPoint<Curve> {
        var result = JacobianPoint<Curve>.identity
        for index in stride(from: scalar.bitWidth - 1, through: 0, by: -1) {
            result = result.doubled()
            if scalar.bit(index) { result += self }
        }
        return result
    }

    /// `scalar · self` for a scalar-field element.
    @inlinable
    public func multiplied(by scalar: Fr) -> JacobianPoint<Curve> {
        multiplied(byInteger: scalar.standardValue)
    }

    /// `scalar · point`.
    @inlinable
    public static func * (scalar: Fr, point: AffinePoint) -> JacobianPoint<Curve> {
        point.multiplied(by: scalar)
    }
}
