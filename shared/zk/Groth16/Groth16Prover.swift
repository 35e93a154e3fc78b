extension Groth16 {
    /// Proves that the witness held by `system` satisfies the circuit the key was made for.
    ///
    /// Uses fresh randomness r, s from the system CSPRNG (zk.md §8.8). Two cores: the G2 MSM and
    /// the A MSM run in a child task while this task computes H (7 FFTs) and the other G1 MSMs.
    ///
    /// - Throws: `shapeMismatch` for another circuit's key, `malformedKey` for inconsistent query
    ///   lengths, `unsatisfied` when the witness violates a constraint.
    public static func prove(_ key: Groth16ProvingKey, _ system: ConstraintSystem) async throws(Groth16Error) -> Groth16Proof {
        var generator = SystemRandomNumberGenerator()
        let r = Fr.random(using: &generator)
        let s = Fr.random(using: &generator)
        return try await prove(key, system, r: r, s: s)
    }

    /// Proving with given blinding factors (tests use this to reproduce proofs).
    static func prove(_ key: Groth16ProvingKey, _ system: ConstraintSystem, r: Fr, s: Fr) async throws(Groth16Error) -> Groth16Proof {
        let shape = R1CSShape(system)
        guard shape == key.shape else { throw .shapeMismatch(key: key.shape, circuit: shape) }
        try checkLengths(key)
        guard let domain = EvaluationDomain(size: shape.domainSize) else {
            throw .circuitTooLarge(constraints: shape.constraintCount)
        }
        let z = system.assignment
        let rows = try QAP.evaluateRows(system, assignment: z, domainSize: domain.size)

        async let gTwo = (msm(key.bG2, z), msm(key.a, z))
        let h = await QAP.quotientCoefficients(a: rows.a, b: rows.b, c: rows.c, domain: domain)
        let hSum = msm(key.h, h)
        let bG1Sum = msm(key.bG1, z)
        let lSum = msm(key.l, Array(z[(shape.publicInputCount + 1)...]))
        let (bG2Sum, aSum) = await gTwo

        let deltaG1 = JacobianPoint(key.deltaG1)
        let a = JacobianPoint(key.verifyingKey.alpha) + aSum + deltaG1.multiplied(by: r)
        let b = JacobianPoint(key.verifyingKey.beta) + bG2Sum + JacobianPoint(key.verifyingKey.delta).multiplied(by: s)
        let bInG1 = JacobianPoint(key.betaG1) + bG1Sum + deltaG1.multiplied(by: s)
        let c = lSum + hSum + a.multiplied(by: s) + bInG1.multiplied(by: r) - deltaG1.multiplied(by: r * s)
        return Groth16Proof(a: a.toAffine(), b: b.toAffine(), c: c.toAffine())
    }

    /// Query lengths must match the shape (a key file could be inconsistent).
    static func checkLengths(_ key: Groth16ProvingKey) throws(Groth16Error) {
        let shape = key.shape
        let variables = shape.variableCount
        guard key.a.count == variables, key.bG1.count == variables, key.bG2.count == variables,
              key.l.count == shape.witnessCount, key.h.count == shape.domainSize - 1,
              key.verifyingKey.ic.count == shape.publicInputCount + 1
        else { throw .malformedKey("query lengths do not match \(shape)") }
    }

    /// Σ scalars[i]·points[i]; the lengths were checked against the key's shape.
    static func msm<C: ShortWeierstrassCurve>(_ points: [AffinePoint<C>], _ scalars: [Fr]) -> JacobianPoint<C> {
        let count = min(points.count, scalars.count)
        do {
            return try MSM.multiScalarMultiply(Array(points.prefix(count)), Array(scalars.prefix(count)))
        } catch {
            // Unreachable: both inputs were cut to the same length.
            return .identity
        }
    }
}
