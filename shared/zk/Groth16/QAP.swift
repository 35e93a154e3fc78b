/// The quadratic arithmetic program behind an R1CS: constraint i becomes the evaluation point
/// ωⁱ, and each variable's column in A, B, C becomes a polynomial through those points.
///
/// Public inputs and the constant wire each get one extra row (aₘ₊ₖ = zₖ, with b and c zero),
/// as in arkworks and libsnark: it makes their A-polynomials linearly independent, without
/// which a proof could be re-targeted to other public inputs. Hence the domain size
/// constraints + public inputs + 1 (`R1CSShape.domainSize`).
enum QAP {
    /// Flat index of `variable` in `[1, public…, witness…]` given the number of public inputs.
    @inline(__always)
    static func flatIndex(_ variable: Variable, publicInputCount: Int) -> Int {
        switch variable.kind {
        case .one: 0
        case .publicInput: 1 + variable.slot
        case .witness: 1 + publicInputCount + variable.slot
        }
    }

    /// Aⱼ(τ), Bⱼ(τ), Cⱼ(τ) for every variable j, from the Lagrange basis at τ.
    static func columnsAt(
        _ lagrange: [Fr], system: ConstraintSystem
    ) -> (a: [Fr], b: [Fr], c: [Fr]) {
        let publicCount = system.publicInputCount
        var a = [Fr](repeating: .zero, count: system.variableCount)
        var b = a
        var c = a
        for (row, constraint) in system.constraints.enumerated() {
            let basis = lagrange[row]
            for term in constraint.a.terms {
                a[flatIndex(term.variable, publicInputCount: publicCount)] += term.coefficient * basis
            }
            for term in constraint.b.terms {
                b[flatIndex(term.variable, publicInputCount: publicCount)] += term.coefficient * basis
            }
            for term in constraint.c.terms {
                c[flatIndex(term.variable, publicInputCount: publicCount)] += term.coefficient * basis
            }
        }
        for input in 0...publicCount {
            a[input] += lagrange[system.constraintCount + input]
        }
        return (a, b, c)
    }

    /// L₀(τ) … Lₙ₋₁(τ) for the domain: Lᵢ(τ) = Z(τ)·ωⁱ / (n·(τ − ωⁱ)).
    ///
    /// - Precondition: τ is not in the domain (Z(τ) ≠ 0), which setup ensures.
    static func lagrangeCoefficients(at tau: Fr, domain: EvaluationDomain) -> [Fr] {
        let points = domain.elements
        var denominators = points.map { tau - $0 }
        batchInvert(&denominators)
        let factor = domain.vanishingPolynomial(at: tau) * domain.sizeInverse
        return zip(points, denominators).map { factor * $0 * $1 }
    }

    /// The rows ⟨Aᵢ, z⟩, ⟨Bᵢ, z⟩, ⟨Cᵢ, z⟩ padded to the domain, plus the input rows.
    ///
    /// - Throws: `Groth16Error.unsatisfied` at the first row with a·b ≠ c: no proof of a false statement.
    static func evaluateRows(
        _ system: ConstraintSystem, assignment z: [Fr], domainSize: Int
    ) throws(Groth16Error) -> (a: [Fr], b: [Fr], c: [Fr]) {
        let publicCount = system.publicInputCount
        var a = [Fr](repeating: .zero, count: domainSize)
        var b = a
        var c = a
        let unsatisfied: Int? = z.withUnsafeBufferPointer { values in
            func evaluate(_ combination: LinearCombination) -> Fr {
                var sum = Fr.zero
                for term in combination.terms {
                    sum += term.coefficient * values[flatIndex(term.variable, publicInputCount: publicCount)]
                }
                return sum
            }
            for (row, constraint) in system.constraints.enumerated() {
                a[row] = evaluate(constraint.a)
                b[row] = evaluate(constraint.b)
                c[row] = evaluate(constraint.c)
                if a[row] * b[row] != c[row] { return row }
            }
            return nil
        }
        if let unsatisfied { throw .unsatisfied(constraint: unsatisfied) }
        for input in 0...publicCount {
            a[system.constraintCount + input] = z[input]
        }
        return (a, b, c)
    }

    /// The coefficients h₀ … hₙ₋₂ of H = (A·B − C)/Z, computed on the coset g·H where Z is the
    /// non-zero constant gⁿ − 1 (LibsnarkReduction): 3 iFFTs, 3 coset FFTs, 1 coset iFFT.
    static func quotientCoefficients(
        a: [Fr], b: [Fr], c: [Fr], domain: EvaluationDomain
    ) async -> [Fr] {
        @Sendable func onCoset(_ evaluations: [Fr]) -> [Fr] {
            var values = evaluations
            domain.ifft(&values)
            domain.cosetFFT(&values)
            return values
        }
        async let aCoset = onCoset(a)
        let bCoset = onCoset(b)
        let cCoset = onCoset(c)
        var h = await aCoset
        // Z(g·ωⁱ) = gⁿ·ωⁱⁿ − 1 = gⁿ − 1 for every point of the coset; never zero since g ∉ H.
        let vanishingInverse = domain.vanishingPolynomial(at: domain.cosetOffset).inverse() ?? .zero
        h.withUnsafeMutableBufferPointer { h in
            for i in h.indices { h[i] = (h[i] * bCoset[i] - cCoset[i]) * vanishingInverse }
        }
        domain.cosetIFFT(&h)
        h.removeLast()
        return h
    }

    /// Replaces every element by its inverse with one field inversion (Montgomery's trick).
    ///
    /// - Precondition: no element is zero.
    static func batchInvert(_ values: inout [Fr]) {
        var prefix = [Fr]()
        prefix.reserveCapacity(values.count)
        var running = Fr.one
        for value in values {
            prefix.append(running)
            running *= value
        }
        var inverse = running.inverse() ?? .zero
        for index in values.indices.reversed() {
            let original = values[index]
            values[index] = inverse * prefix[index]
            inverse *= original
        }
    }
}
