import Testing
@testable import PakitZK

@Suite("R1CS builder")
struct R1CSTests {
    @Test("linear combinations merge, cancel and scale canonically")
    func linearCombinationArithmetic() {
        var cs = ConstraintSystem()
        let x = cs.witness(Fr(3)), y = cs.witness(Fr(4))
        let sum = x + y
        #expect((sum - LinearCombination(x)) == LinearCombination(y))
        #expect((sum - sum).terms.isEmpty)
        #expect((Fr(2) * sum).terms.map(\.coefficient) == [Fr(2), Fr(2)])
        #expect((sum * Fr.zero) == .zero)
        let shifted = sum + Fr(5)
        #expect(shifted.constantTerm == Fr(5))
        #expect(!shifted.isConstant)
        #expect(LinearCombination(constant: Fr(7)).isConstant)
        #expect(cs.value(of: shifted) == Fr(12))
        #expect(cs.value(of: -shifted) == -Fr(12))
        // Unsorted terms with duplicates and a cancellation collapse to the canonical form.
        let merged = LinearCombination(terms: [
            .init(y, Fr(1)), .init(x, Fr(2)), .init(y, -Fr(1)), .init(.one, Fr(9)), .init(x, Fr(3)),
        ])
        #expect(merged == LinearCombination(constant: Fr(9)) + Fr(5) * x)
    }

    @Test("x³ + x + 5 = 35: witness computed while constraining, assignment in flat order")
    func cubicCircuit() throws {
        var cs = ConstraintSystem()
        let x = LinearCombination(cs.witness(Fr(3)))
        let xSquared = cs.multiply(x, x)
        let xCubed = cs.multiply(LinearCombination(xSquared), x)
        // Public input allocated after witnesses still sits right after the constant wire.
        let out = cs.publicInput(Fr(35))
        cs.enforce(LinearCombination(xCubed) + x + Fr(5), .one, LinearCombination(out))

        #expect(cs.constraintCount == 3)
        #expect(cs.publicInputCount == 1)
        #expect(cs.witnessCount == 3)
        #expect(cs.variableCount == 5)
        #expect(cs.assignment == [Fr.one, Fr(35), Fr(3), Fr(9), Fr(27)])
        #expect(cs.index(of: .one) == 0)
        #expect(cs.index(of: out) == 1)
        #expect(cs.index(of: xCubed) == 4)
        #expect(cs.isSatisfied())
        #expect(try cs.firstUnsatisfied(in: cs.assignment) == nil)

        var wrongOutput = cs.assignment
        wrongOutput[1] = Fr(36)
        #expect(try cs.firstUnsatisfied(in: wrongOutput) == 2)
        var wrongSquare = cs.assignment
        wrongSquare[3] = Fr(10)
        #expect(try cs.firstUnsatisfied(in: wrongSquare) == 0)
        #expect(!cs.isSatisfied(by: wrongSquare))
    }

    @Test("a wrong value given to enforce is reported, not trapped on")
    func unsatisfiedWitnessIsReported() {
        var cs = ConstraintSystem()
        let a = cs.witness(Fr(2)), b = cs.witness(Fr(3)), c = cs.witness(Fr(7))
        cs.enforce(LinearCombination(a), LinearCombination(b), LinearCombination(a) + LinearCombination(a) + Fr(2))
        cs.enforce(LinearCombination(a), LinearCombination(b), LinearCombination(c))
        #expect(cs.firstUnsatisfied() == 1)
        #expect(!cs.isSatisfied())
    }

    @Test("malformed substituted assignments are rejected")
    func malformedAssignments() {
        var cs = ConstraintSystem()
        let x = cs.witness(Fr(2))
        _ = cs.multiply(LinearCombination(x), LinearCombination(x))
        #expect(throws: ConstraintSystemError.assignmentLength(expected: 3, actual: 2)) {
            try cs.firstUnsatisfied(in: [Fr.one, Fr(2)])
        }
        #expect(throws: ConstraintSystemError.constantWireNotOne) {
            try cs.firstUnsatisfied(in: [Fr(2), Fr(2), Fr(4)])
        }
        #expect(!cs.isSatisfied(by: [Fr.one]))
        #expect(cs.isSatisfied(by: [Fr.one, Fr(2), Fr(4)]))
    }
}
