/// Groth16 (Groth, Eurocrypt 2016) over BN254: setup, prove and verify.
public enum Groth16 {
    /// The namespace of development setups' seeded randomness (change it and every dev key changes).
    static let developmentDomain = "pakit/groth16/development-setup/v1"

    /// A single-party setup from a public seed, labelled insecure: anyone who knows the seed
    /// knows the toxic waste and can forge proofs. For development, CI and tests only; the
    /// prover refuses such keys in production mode.
    ///
    /// `system` only lends its shape (constraints, input count): synthesise it with any witness.
    public static func developmentSetup(for system: ConstraintSystem, seed: String) async throws(Groth16Error) -> Groth16ProvingKey {
        var generator = SeededRandomNumberGenerator(seed: seed, domain: developmentDomain)
        return try await setup(for: system, origin: .development(seed: seed), using: &generator)
    }

    /// A setup with toxic waste (τ, α, β, γ, δ) drawn from `generator`.
    public static func setup(
        for system: ConstraintSystem, origin: Groth16KeyOrigin, using generator: inout some RandomNumberGenerator
    ) async throws(Groth16Error) -> Groth16ProvingKey {
        let shape = R1CSShape(system)
        guard let domain = EvaluationDomain(size: shape.domainSize) else {
            throw .circuitTooLarge(constraints: shape.constraintCount)
        }
        var tau: Fr
        repeat { tau = .random(using: &generator) } while domain.vanishingPolynomial(at: tau).isZero
        let alpha = nonZero(using: &generator)
        let beta = nonZero(using: &generator)
        let gamma = nonZero(using: &generator)
        var delta = nonZero(using: &generator)
        while delta == gamma { delta = nonZero(using: &generator) }
        let secrets = ToxicWaste(tau: tau, alpha: alpha, beta: beta, gamma: gamma, delta: delta)
        return await makeKeys(for: system, shape: shape, domain: domain, secrets: secrets, origin: origin)
    }

    private struct ToxicWaste: Sendable {
        let tau, alpha, beta, gamma, delta: Fr
    }

    private static func nonZero(using generator: inout some RandomNumberGenerator) -> Fr {
        while true {
            let value = Fr.random(using: &generator)
            if !value.isZero { return value }
        }
    }

    private static func makeKeys(
        for system: ConstraintSystem, shape: R1CSShape, domain: EvaluationDomain,
        secrets: ToxicWaste, origin: Groth16KeyOrigin
    ) async -> Groth16ProvingKey {
        let lagrange = QAP.lagrangeCoefficients(at: secrets.tau, domain: domain)
        let columns = QAP.columnsAt(lagrange, system: system)
        // Inverses exist: γ, δ are drawn non-zero.
        let gammaInverse = secrets.gamma.inverse() ?? .zero
        let deltaInverse = secrets.delta.inverse() ?? .zero
        let publicEnd = shape.publicInputCount + 1
        let combined = (0..<shape.variableCount).map { j in
            secrets.beta * columns.a[j] + secrets.alpha * columns.b[j] + columns.c[j]
        }
        let icScalars = combined[0..<publicEnd].map { $0 * gammaInverse }
        let lScalars = combined[publicEnd...].map { $0 * deltaInverse }
        let zTauOverDelta = domain.vanishingPolynomial(at: secrets.tau) * deltaInverse
        var hScalars = [Fr]()
        hScalars.reserveCapacity(domain.size - 1)
        var power = zTauOverDelta
        for _ in 0..<(domain.size - 1) {
            hScalars.append(power)
            power *= secrets.tau
        }

        let g1 = FixedBaseTable(base: G1Affine.generator)
        let g2 = FixedBaseTable(base: G2Affine.generator)
        // G2 work runs beside the G1 work (two cores).
        async let bG2 = g2.multiplyAll(columns.b, tasks: 1)
        async let g2Specials = g2.multiplyAll([secrets.beta, secrets.gamma, secrets.delta], tasks: 1)
        let a = await g1.multiplyAll(columns.a, tasks: 1)
        let bG1 = await g1.multiplyAll(columns.b, tasks: 1)
        let ic = await g1.multiplyAll(icScalars, tasks: 1)
        let l = await g1.multiplyAll(lScalars, tasks: 1)
        let h = await g1.multiplyAll(hScalars, tasks: 1)
        let g1Specials = await g1.multiplyAll([secrets.alpha, secrets.beta, secrets.delta], tasks: 1)
        let specials2 = await g2Specials
        let verifyingKey = Groth16VerifyingKey(
            alpha: g1Specials[0], beta: specials2[0], gamma: specials2[1], delta: specials2[2],
            ic: ic, origin: origin
        )
        return Groth16ProvingKey(
            verifyingKey: verifyingKey, betaG1: g1Specials[1], deltaG1: g1Specials[2],
            a: a, bG1: bG1, bG2: await bG2, h: h, l: l, shape: shape
        )
    }
}
