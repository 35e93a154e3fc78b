/// Group law in Jacobian coordinates for a = 0 (formulas from the Explicit-Formulas Database:
/// dbl-2009-l, add-2007-bl, madd-2007-bl).
extension JacobianPoint {
    /// `self + self` (dbl-2009-l: 2M + 5S).
    @inlinable
    public func doubled() -> JacobianPoint {
        if isIdentity { return self }
        let a = x.square()
        let b = y.square()
        let c = b.square()
        let d = ((x + b).square() - a - c).doubled()
        let e = a.doubled() + a
        let f = e.square()
        let x3 = f - d.doubled()
        let y3 = e * (d - x3) - c.doubled().doubled().doubled()
        let z3 = (y * z).doubled()
        return JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// Full addition (add-2007-bl: 11M + 5S), handling the identity, P + P and P + (−P).
    @inlinable
    public static func + (lhs: JacobianPoint, rhs: JacobianPoint) -> JacobianPoint {
        if lhs.isIdentity { return rhs }
        if rhs.isIdentity { return lhs }
        let z1z1 = lhs.z.square()
        let z2z2 = rhs.z.square()
        let u1 = lhs.x * z2z2
        let u2 = rhs.x * z1z1
        let s1 = lhs.y * rhs.z * z2z2
        let s2 = rhs.y * lhs.z * z1z1
        let h = u2 - u1
        let r = (s2 - s1).doubled()
        if h.isZero {
            // Same x: either the same point (the formula degenerates) or inverses.
            return r.isZero ? lhs.doubled() : .identity
        }
        let i = h.doubled().square()
        let j = h * i
        let v = u1 * i
        let x3 = r.square() - j - v.doubled()
        let y3 = r * (v - x3) - (s1 * j).doubled()
        let z3 = ((lhs.z + rhs.z).square() - z1z1 - z2z2) * h
        return JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// Mixed addition with an affine point (madd-2007-bl: 7M + 4S), the cheap step of
    /// double-and-add and of sums over fixed bases.
    @inlinable
    public static func + (lhs: JacobianPoint, rhs: AffinePoint<Curve>) -> JacobianPoint {
        if rhs.isIdentity { return lhs }
        if lhs.isIdentity { return JacobianPoint(rhs) }
        let z1z1 = lhs.z.square()
        let u2 = rhs.x * z1z1
        let s2 = rhs.y * lhs.z * z1z1
        let h = u2 - lhs.x
        let r = (s2 - lhs.y).doubled()
        if h.isZero {
            return r.isZero ? lhs.doubled() : .identity
        }
        let hh = h.square()
        let i = hh.doubled().doubled()
        let j = h * i
        let v = lhs.x * i
        let x3 = r.square() - j - v.doubled()
        let y3 = r * (v - x3) - (lhs.y * j).doubled()
        let z3 = (lhs.z + h).square() - z1z1 - hh
        return JacobianPoint(x: x3, y: y3, z: z3)
    }

    /// The additive inverse (X, −Y, Z).
    @inlinable
    public static prefix func - (point: JacobianPoint) -> JacobianPoint {
        JacobianPoint(x: point.x, y: -point.y, z: point.z)
    }

    /// Subtraction.
    @inlinable
    public static func - (lhs: JacobianPoint, rhs: JacobianPoint) -> JacobianPoint { lhs + (-rhs) }

    /// Adds in place.
    @inlinable
    public static func += (lhs: inout JacobianPoint, rhs: JacobianPoint) { lhs = lhs + rhs }

    /// Adds an affine point in place.
    @inlinable
    public static func += (lhs: inout JacobianPoint, rhs: AffinePoint<Curve>) { lhs = lhs + rhs }
}
