import Testing
@testable import PakitZK

/// Groth16 end to end on small circuits (fast even in debug builds).
@Suite("Groth16")
struct Groth16Tests {
    /// Public (y, k); private x with x³ + x + 5 = y, and k·k computed as a witness.
    static func cubic(x: Fr, k: Fr = Fr(3)) -> ConstraintSystem {
        var cs = ConstraintSystem()
        let y = cs.publicInput(x * x * x + x + Fr(5))
        let kInput = cs.publicInput(k)
        let xVar = cs.witness(x)
        let square = cs.multiply(LinearCombination(xVar), LinearCombination(xVar))
        let cube = cs.multiply(LinearCombination(square), LinearCombination(xVar))
        cs.assertEqual(LinearCombination(cube) + LinearCombination(xVar) + Fr(5), LinearCombination(y))
        _ = cs.multiply(LinearCombination(kInput), LinearCombination(kInput))
        return cs
    }

    @Test("an honest proof verifies; any other statement or a tampered proof does not")
    func proveAndVerify() async throws {
        let cs = Self.cubic(x: Fr(3))
        let key = try await Groth16.developmentSetup(for: cs, seed: "groth16-tests")
        let proof = try await Groth16.prove(key, cs)
        let prepared = try Groth16PreparedVerifyingKey(key.verifyingKey)
        #expect(try Groth16.verify(proof, publicInputs: cs.publicValues, key: prepared))
        // Another statement.
        #expect(try !Groth16.verify(proof, publicInputs: [cs.publicValues[0] + .one, cs.publicValues[1]], key: prepared))
        #expect(try !Groth16.verify(proof, publicInputs: [cs.publicValues[0], Fr(4)], key: prepared))
        // Swapped or re-signed proof elements.
        let swapped = Groth16Proof(a: proof.c, b: proof.b, c: proof.a)
        #expect(try !Groth16.verify(swapped, publicInputs: cs.publicValues, key: prepared))
        let negated = Groth16Proof(a: -proof.a, b: proof.b, c: proof.c)
        #expect(try !Groth16.verify(negated, publicInputs: cs.publicValues, key: prepared))
        let shifted = Groth16Proof(a: proof.a, b: proof.b, c: (JacobianPoint(proof.c) + G1Jacobian.generator).toAffine())
        #expect(try !Groth16.verify(shifted, publicInputs: cs.publicValues, key: prepared))
    }

    @Test("proofs are randomised: two proofs differ and both verify")
    func freshRandomness() async throws {
        let cs = Self.cubic(x: Fr(5))
        let key = try await Groth16.developmentSetup(for: cs, seed: "groth16-tests")
        let first = try await Groth16.prove(key, cs)
        let second = try await Groth16.prove(key, cs)
        #expect(first != second)
        let prepared = try Groth16PreparedVerifyingKey(key.verifyingKey)
        #expect(try Groth16.verify(first, publicInputs: cs.publicValues, key: prepared))
        #expect(try Groth16.verify(second, publicInputs: cs.publicValues, key: prepared))
    }

    @Test("the development setup is a function of seed and circuit shape")
    func deterministicDevelopmentSetup() async throws {
        let cs = Self.cubic(x: Fr(3))
        let first = try await Groth16.developmentSetup(for: cs, seed: "seed-a")
        let again = try await Groth16.developmentSetup(for: Self.cubic(x: Fr(9)), seed: "seed-a")
        let other = try await Groth16.developmentSetup(for: cs, seed: "seed-b")
        #expect(first.verifyingKey == again.verifyingKey)
        #expect(first.verifyingKey != other.verifyingKey)
        #expect(first.verifyingKey.isDevelopment)
        // A proof under one key does not verify under another key of the same circuit.
        let proof = try await Groth16.prove(first, cs)
        #expect(try !Groth16.verify(proof, publicInputs: cs.publicValues, key: Groth16PreparedVerifyingKey(other.verifyingKey)))
    }

    @Test("a false statement gets no proof: the unsatisfied constraint is reported")
    func unsatisfiedWitness() async throws {
        var cs = Self.cubic(x: Fr(3))
        let key = try await Groth16.developmentSetup(for: cs, seed: "groth16-tests")
        // A system whose public output claims the wrong value.
        var wrong = ConstraintSystem()
        let y = wrong.publicInput(Fr(36))
        let k = wrong.publicInput(Fr(3))
        let x = wrong.witness(Fr(3))
        let square = wrong.multiply(LinearCombination(x), LinearCombination(x))
        let cube = wrong.multiply(LinearCombination(square), LinearCombination(x))
        wrong.assertEqual(LinearCombination(cube) + LinearCombination(x) + Fr(5), LinearCombination(y))
        _ = wrong.multiply(LinearCombination(k), LinearCombination(k))
        await #expect(throws: Groth16Error.unsatisfied(constraint: 2)) { try await Groth16.prove(key, wrong) }
        // A key for another shape is refused before any work.
        _ = cs.multiply(LinearCombination(constant: Fr(2)), LinearCombination(constant: Fr(2)))
        await #expect(throws: Groth16Error.shapeMismatch(key: key.shape, circuit: R1CSShape(cs))) {
            try await Groth16.prove(key, cs)
        }
    }

    @Test("verification refuses inputs ≥ r, wrong input counts and keys with γ = δ")
    func verifierRefusals() async throws {
        let cs = Self.cubic(x: Fr(3))
        let key = try await Groth16.developmentSetup(for: cs, seed: "groth16-tests")
        let proof = try await Groth16.prove(key, cs)
        let prepared = try Groth16PreparedVerifyingKey(key.verifyingKey)
        let y = cs.publicValues[0].standardValue
        #expect(try Groth16.verify(proof, publicIntegers: [y, UInt256(3)], key: prepared))
        // y + r is the same field element but a different integer: refused, not aliased.
        let aliased = y.addingReportingOverflow(Fr.modulus).partialValue
        #expect(throws: Groth16Error.publicInputOutOfRange(index: 0)) {
            try Groth16.verify(proof, publicIntegers: [aliased, UInt256(3)], key: prepared)
        }
        #expect(throws: Groth16Error.publicInputCount(expected: 2, actual: 1)) {
            try Groth16.verify(proof, publicInputs: [cs.publicValues[0]], key: prepared)
        }
        let vk = key.verifyingKey
        let degenerate = Groth16VerifyingKey(alpha: vk.alpha, beta: vk.beta, gamma: vk.delta, delta: vk.delta, ic: vk.ic, origin: .imported)
        #expect(throws: Groth16Error.gammaEqualsDelta) { try Groth16PreparedVerifyingKey(degenerate) }
    }

    @Test("the QAP quotient is exact: H·Z = A·B − C at a random point")
    func quotientIdentity() async throws {
        let cs = Self.cubic(x: Fr(7))
        let shape = R1CSShape(cs)
        let domain = try #require(EvaluationDomain(size: shape.domainSize))
        let rows = try QAP.evaluateRows(cs, assignment: cs.assignment, domainSize: domain.size)
        let h = await QAP.quotientCoefficients(a: rows.a, b: rows.b, c: rows.c, domain: domain)
        let point = Fr(123_456_789)
        func evaluate(_ coefficients: [Fr]) -> Fr {
            coefficients.reversed().reduce(Fr.zero) { $0 * point + $1 }
        }
        let a = evaluate(domain.ifft(rows.a)), b = evaluate(domain.ifft(rows.b)), c = evaluate(domain.ifft(rows.c))
        #expect(evaluate(h) * domain.vanishingPolynomial(at: point) == a * b - c)
        #expect(h.count == domain.size - 1)
    }
}
