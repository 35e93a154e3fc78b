/// Miller-loop machinery for the BN254 optimal ate pairing on the D-type twist.
///
/// A twist point (x′, y′) ∈ E′(Fq2) maps to E(Fq12) as (x′·w², y′·w³) (w⁶ = ξ), so the line
/// through untwisted points, evaluated at P = (xP, yP) ∈ E(Fq), is
/// yP − λ′·xP·w + (λ′·x′ − y′)·w³. Only the coefficients of 1, w and w³ = v·w are non-zero,
/// which the sparse product `multiplied(byLine:)` exploits. Lines are scaled by Fq2 factors
/// freely: those lie in a proper subfield and vanish in the final exponentiation.

/// A line evaluated at a G1 point: a + b·w + c·w³ in Fq12.
struct EvaluatedLine: Sendable {
    /// Coefficient of 1.
    var a: Fq2
    /// Coefficient of w.
    var b: Fq2
    /// Coefficient of w³ = v·w.
    var c: Fq2

    @inline(__always)
    init(a: Fq2, b: Fq2, c: Fq2) {
        self.a = a
        self.b = b
        self.c = c
    }
}

/// A twist point in homogeneous projective coordinates (x′ = X/Z, y′ = Y/Z): the Miller loop's
/// running point, kept projective so no step needs an inversion.
struct TwistProjective: Sendable {
    var x: Fq2
    var y: Fq2
    var z: Fq2

    @inline(__always)
    init(_ point: G2Affine) {
        x = point.x
        y = point.y
        z = .one
    }

    /// Doubles the point in place and returns the tangent line at the old point, evaluated at P.
    ///
    /// With B = Y², E = 3b′Z², F = 3E (and X³ = Y²Z − b′Z³ from the curve equation):
    /// 2T = (2XY(B − F), (B + F)² − 12E², 8BYZ); tangent ∝ 2YZ·yP − 3X²·xP·w + (B − E)·w³.
    // Not inlined: the field code below is all `@inline(__always)`, and forcing these steps into
    // the loop blew the optimiser's compile time up to many minutes for no measurable gain.
    @inline(never)
    mutating func doubleStep(at p: G1Affine) -> EvaluatedLine {
        let b = y.square()
        let e = BN254G2.b * (z.square().doubled() + z.square())
        let f = e.doubled() + e
        let yz = y * z
        let xSquared = x.square()
        let line = EvaluatedLine(
            a: yz.doubled() * p.y,
            b: -((xSquared.doubled() + xSquared) * p.x),
            c: b - e
        )
        let eSquared = e.square()
        let newX = (x * y).doubled() * (b - f)
        let newY = (b + f).square() - (eSquared.doubled() + eSquared).doubled().doubled()
        let newZ = (b * yz).doubled().doubled().doubled()
        x = newX
        y = newY
        z = newZ
        return line
    }

    /// Adds the affine twist point Q = (x₂, y₂) in place and returns the line through the old
    /// point and Q, evaluated at P.
    ///
    /// With θ = Y − y₂Z and λ = X − x₂Z (slope θ/λ), H = λ³ + Zθ² − 2Xλ²:
    /// T + Q = (λH, θ(Xλ² − H) − Yλ³, Zλ³); line ∝ λ·yP − θ·xP·w + (θx₂ − λy₂)·w³.
    @inline(never)
    mutating func addStep(_ q: (x: Fq2, y: Fq2), at p: G1Affine) -> EvaluatedLine {
        let theta = y - q.y * z
        let lambda = x - q.x * z
        let line = EvaluatedLine(
            a: lambda * p.y,
            b: -(theta * p.x),
            c: theta * q.x - lambda * q.y
        )
        let lambdaSquared = lambda.square()
        let lambdaCubed = lambda * lambdaSquared
        let g = x * lambdaSquared
        let h = lambdaCubed + z * theta.square() - g.doubled()
        let newX = lambda * h
        let newY = theta * (g - h) - y * lambdaCubed
        let newZ = z * lambdaCubed
        x = newX
        y = newY
        z = newZ
        return line
    }
}

extension Fq6 {
    /// `self · (b + c·v)`: five Fq2 products instead of the six of a full Fq6 product.
    func multiplied(by01 b: Fq2, _ c: Fq2) -> Fq6 {
        let t0 = c0 * b
        let t1 = c1 * c
        return Fq6(
            t0 + (c2 * c).multipliedByNonResidue(),
            (c0 + c1) * (b + c) - t0 - t1,
            t1 + c2 * b
        )
    }
}

extension Fq12 {
    /// `self · line` for a sparse line a + (b + c·v)·w (Karatsuba over the w-halves).
    func multiplied(byLine line: EvaluatedLine) -> Fq12 {
        let low = c0 * line.a
        let high = c1.multiplied(by01: line.b, line.c)
        let cross = (c0 + c1).multiplied(by01: line.a + line.b, line.c)
        return Fq12(low + high.multipliedByNonResidue(), cross - low - high)
    }
}

/// The Frobenius endomorphism π on the twist: ψ(x, y) = (x̄·ξ^((p−1)/3), ȳ·ξ^((p−1)/2)).
func twistFrobenius(_ point: (x: Fq2, y: Fq2)) -> (x: Fq2, y: Fq2) {
    (point.x.conjugate() * PairingConstants.twistFrobeniusX, point.y.conjugate() * PairingConstants.twistFrobeniusY)
}

/// One pair's state during a shared Miller loop.
struct MillerPair: Sendable {
    let p: G1Affine
    let q: (x: Fq2, y: Fq2)
    let negatedQ: (x: Fq2, y: Fq2)
    var t: TwistProjective

    init(_ p: G1Affine, _ q: G2Affine) {
        self.p = p
        self.q = (q.x, q.y)
        self.negatedQ = (q.x, -q.y)
        self.t = TwistProjective(q)
    }
}

/// The product of the Miller loops f_{6u+2,Q}(P)·l_{T,π(Q)}(P)·l_{T′,−π²(Q)}(P) over all pairs,
/// sharing one accumulator so each loop iteration squares only once. Pairs containing the
/// identity contribute 1 and are skipped by the caller.
func millerLoop(_ pairs: [(G1Affine, G2Affine)]) -> Fq12 {
    var states = pairs.map { MillerPair($0.0, $0.1) }
    guard !states.isEmpty else { return .one }
    var f = Fq12.one
    let digits = PairingConstants.ateLoopNAF
    // The leading digit is 1: T starts at Q, so iterate the remaining digits.
    for (position, digit) in digits.enumerated().dropFirst() {
        if position > 1 { f = f.square() }
        for index in states.indices {
            f = f.multiplied(byLine: states[index].t.doubleStep(at: states[index].p))
            if digit == 1 {
                f = f.multiplied(byLine: states[index].t.addStep(states[index].q, at: states[index].p))
            } else if digit == -1 {
                f = f.multiplied(byLine: states[index].t.addStep(states[index].negatedQ, at: states[index].p))
            }
        }
    }
    // u > 0, so no final conjugation; finish with the lines through π(Q) and −π²(Q).
    for index in states.indices {
        let q1 = twistFrobenius(states[index].q)
        let q2 = twistFrobenius(q1)
        f = f.multiplied(byLine: states[index].t.addStep(q1, at: states[index].p))
        f = f.multiplied(byLine: states[index].t.addStep((q2.x, -q2.y), at: states[index].p))
    }
    return f
}
