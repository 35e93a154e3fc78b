import Testing
@testable import PakitZK

/// Builds Poseidon over `values` allocated as private witnesses.
private func poseidonCircuit(_ values: [Fr]) throws -> (ConstraintSystem, LinearCombination) {
    var cs = ConstraintSystem()
    let inputs = values.map { cs.witness($0) }
    let output = try cs.poseidonHash(inputs)
    return (cs, output)
}

@Suite("R1CS gadgets")
struct GadgetTests {
    @Test("Poseidon gadget equals Poseidon.hash with 3·(8t + R_P) − 3 constraints",
          arguments: [(1, 213), (2, 240), (4, 297), (16, 609)])
    func poseidonMatchesNative(inputCount: Int, expectedConstraints: Int) throws {
        var generator = SeededGenerator(state: UInt64(inputCount))
        let values = (0..<inputCount).map { _ in Fr.random(using: &generator) }
        let (cs, output) = try poseidonCircuit(values)
        #expect(cs.value(of: output) == (try Poseidon.hash(values)))
        #expect(cs.constraintCount == expectedConstraints)
        #expect(try ConstraintSystem.poseidonConstraintCount(inputCount: inputCount) == expectedConstraints)
        #expect(cs.isSatisfied())
    }

    @Test("Poseidon gadget reproduces the circomlib vector for [1, 2]")
    func poseidonVector() throws {
        let (cs, output) = try poseidonCircuit([Fr(1), Fr(2)])
        #expect(cs.value(of: output).hexString
            == "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a")
    }

    @Test("textbook and optimised Poseidon rounds give the same output and constraint count")
    func poseidonReferenceRoundsAgree() throws {
        let parameters = try Poseidon.parameters(width: 3)
        var reference = ConstraintSystem()
        var state = [LinearCombination.zero, LinearCombination(reference.witness(Fr(1))),
                     LinearCombination(reference.witness(Fr(2)))]
        reference.permuteReference(&state, parameters: parameters)
        let (optimised, output) = try poseidonCircuit([Fr(1), Fr(2)])
        #expect(reference.value(of: state[0]) == optimised.value(of: output))
        #expect(reference.constraintCount == optimised.constraintCount)
        #expect(reference.isSatisfied())
    }

    @Test("a constant input's first S-box is free: Poseidon(x, 7) costs 237")
    func poseidonConstantInput() throws {
        var cs = ConstraintSystem()
        let x = LinearCombination(cs.witness(Fr(5)))
        let output = try cs.poseidonHash([x, LinearCombination(constant: Fr(7))])
        #expect(cs.constraintCount == 237)
        #expect(cs.value(of: output) == (try Poseidon.hash([Fr(5), Fr(7)])))
        #expect(cs.isSatisfied())
    }

    @Test("changing any single private variable of Poseidon(2) breaks a constraint")
    func poseidonWitnessIsPinned() throws {
        let (cs, _) = try poseidonCircuit([Fr(1), Fr(2)])
        let honest = cs.assignment
        #expect(try cs.firstUnsatisfied(in: honest) == nil)
        #expect(cs.unconstrainedWitnesses().isEmpty)
        let usage = cs.constraintsByVariable()
        let firstWitness = 1 + cs.publicInputCount
        #expect(honest.count - firstWitness == 2 + 240)
        var unpinned: [Int] = []
        for index in firstWitness..<honest.count {
            var tampered = honest
            tampered[index] += Fr.one
            // The honest assignment satisfies everything, so only constraints reading this
            // variable can change; checking those is equivalent to a full check (and fast).
            if try cs.firstUnsatisfied(in: tampered, among: usage[index]) == nil { unpinned.append(index) }
        }
        #expect(unpinned.isEmpty, "variables not pinned by any constraint: \(unpinned)")
        // Spot-check the equivalence with full checks: first input, an inner and the last variable.
        for index in [firstWitness, firstWitness + 120, honest.count - 1] {
            var tampered = honest
            tampered[index] += Fr.one
            #expect(try cs.firstUnsatisfied(in: tampered) == usage[index].first)
        }
    }

    @Test("Num2Bits: n booleanity constraints plus recomposition")
    func numToBits() throws {
        var cs = ConstraintSystem()
        let value = cs.publicInput(Fr(0b1011_0110))
        let bits = cs.bits(of: LinearCombination(value), count: 8)
        #expect(bits.map { cs.value(of: $0) } == [0, 1, 1, 0, 1, 1, 0, 1].map { Fr(UInt64($0)) })
        #expect(cs.constraintCount == 9)
        #expect(cs.isSatisfied())

        // A non-boolean bit that still recomposes: bit0 = 2 with bit1 = 0 (2 + 0 = 2·1).
        var nonBoolean = cs.assignment
        nonBoolean[cs.index(of: bits[0])] = Fr(2)
        nonBoolean[cs.index(of: bits[1])] = .zero
        #expect(try cs.firstUnsatisfied(in: nonBoolean) == 0)
        // Boolean bits that do not recompose to the value.
        var offByOne = cs.assignment
        offByOne[cs.index(of: bits[0])] = .one
        #expect(try cs.firstUnsatisfied(in: offByOne) == 8)
        var wrongValue = cs.assignment
        wrongValue[cs.index(of: value)] = Fr(0b1011_0111)
        #expect(try cs.firstUnsatisfied(in: wrongValue) == 8)
    }

    @Test("Num2Bits is unsatisfiable for a value that does not fit")
    func numToBitsOverflow() {
        var cs = ConstraintSystem()
        let value = cs.witness(Fr(300))
        _ = cs.bits(of: LinearCombination(value), count: 8)
        #expect(!cs.isSatisfied())
    }

    @Test("select and conditional swap follow the condition bit", arguments: [false, true])
    func selection(condition: Bool) throws {
        var cs = ConstraintSystem()
        let bit = LinearCombination(cs.witness(condition ? .one : .zero))
        cs.assertBoolean(bit)
        let a = LinearCombination(cs.witness(Fr(11))), b = LinearCombination(cs.witness(Fr(22)))
        let chosen = cs.select(bit, a, b)
        let (left, right) = cs.conditionalSwap(bit, a, b)
        #expect(cs.value(of: chosen) == (condition ? Fr(11) : Fr(22)))
        #expect(cs.value(of: left) == (condition ? Fr(22) : Fr(11)))
        #expect(cs.value(of: right) == (condition ? Fr(11) : Fr(22)))
        #expect(cs.constraintCount == 3)
        #expect(cs.isSatisfied())
        // The selection result is pinned: a different product value breaks the system.
        var tampered = cs.assignment
        tampered[cs.variableCount - 2] += .one
        #expect(!cs.isSatisfied(by: tampered))
    }

    @Test("equality assertion and IsEqual")
    func equality() {
        var cs = ConstraintSystem()
        let a = LinearCombination(cs.witness(Fr(5))), b = LinearCombination(cs.witness(Fr(5)))
        let c = LinearCombination(cs.witness(Fr(6)))
        cs.assertEqual(a, b)
        #expect(cs.isSatisfied())
        let same = cs.isEqual(a, b), different = cs.isEqual(a, c)
        #expect(cs.value(of: same) == .one)
        #expect(cs.value(of: different) == .zero)
        #expect(cs.isSatisfied())
        cs.assertEqual(a, c)
        #expect(cs.firstUnsatisfied() == cs.constraintCount - 1)

        // IsZero's output cannot be flipped by choosing another inverse witness.
        var zeroTest = ConstraintSystem()
        let zero = LinearCombination(zeroTest.witness(.zero))
        let flag = zeroTest.isZero(zero)
        #expect(zeroTest.value(of: flag) == .one)
        var lying = zeroTest.assignment
        lying[zeroTest.index(of: Variable(kind: .witness, slot: 2))] = .one  // product claims 1 → out 0
        #expect(!zeroTest.isSatisfied(by: lying))
    }
}
