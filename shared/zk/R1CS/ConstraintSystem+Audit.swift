/// Structural checks against under-constrained circuits (zk.md §8.9): which constraints read a
/// variable, which witnesses no constraint reads, and targeted re-checks for tamper tests.
extension ConstraintSystem {
    /// For every flat variable index (see `index(of:)`), the ascending indices of the
    /// constraints whose A, B or C mentions it.
    public func constraintsByVariable() -> [[Int]] {
        var usage = [[Int]](repeating: [], count: variableCount)
        for (constraintIndex, constraint) in constraints.enumerated() {
            for combination in [constraint.a, constraint.b, constraint.c] {
                for term in combination.terms {
                    let column = index(of: term.variable)
                    // A variable repeated across A, B and C is listed once per constraint.
                    if usage[column].last != constraintIndex { usage[column].append(constraintIndex) }
                }
            }
        }
        return usage
    }

    /// Witnesses that appear in no constraint: their values are free, which is almost always a bug.
    public func unconstrainedWitnesses() -> [Variable] {
        let usage = constraintsByVariable()
        let base = 1 + publicInputCount
        return (0..<witnessCount).compactMap { slot in
            usage[base + slot].isEmpty ? Variable(kind: .witness, slot: slot) : nil
        }
    }

    /// The first of `constraintIndices` (checked in the given order) that a substituted flat
    /// assignment violates, or nil. When the system's own witness satisfies every constraint
    /// and `assignment` differs from it only in variable v, checking the constraints that
    /// mention v (`constraintsByVariable()`) decides satisfiability as a full check would.
    public func firstUnsatisfied(
        in assignment: [Fr], among constraintIndices: some Sequence<Int>
    ) throws(ConstraintSystemError) -> Int? {
        try validate(assignment)
        let witnessBase = 1 + publicValues.count
        return assignment.withUnsafeBufferPointer { z in
            constraintIndices.first { index in
                !constraints[index].isSatisfied { variable in
                    switch variable.kind {
                    case .one: z[0]
                    case .publicInput: z[1 + variable.slot]
                    case .witness: z[witnessBase + variable.slot]
                    }
                }
            }
        }
    }

    /// Throws unless `assignment` has one value per variable and starts with 1.
    func validate(_ assignment: [Fr]) throws(ConstraintSystemError) {
        guard assignment.count == variableCount else {
            throw .assignmentLength(expected: variableCount, actual: assignment.count)
        }
        guard assignment[0] == .one else { throw .constantWireNotOne }
    }
}
