/// One rank-1 constraint ⟨A, z⟩ · ⟨B, z⟩ = ⟨C, z⟩ over the assignment z.
public struct Constraint: Equatable, Sendable {
    /// Left factor.
    public let a: LinearCombination
    /// Right factor.
    public let b: LinearCombination
    /// Product.
    public let c: LinearCombination

    /// Creates the constraint a·b = c.
    public init(_ a: LinearCombination, _ b: LinearCombination, _ c: LinearCombination) {
        self.a = a
        self.b = b
        self.c = c
    }

    /// Whether the constraint holds when variables take the values given by `value`.
    @inlinable
    public func isSatisfied(_ value: (Variable) -> Fr) -> Bool {
        a.evaluate(value) * b.evaluate(value) == c.evaluate(value)
    }
}

/// Errors from checking an externally supplied assignment.
public enum ConstraintSystemError: Error, Equatable, Sendable {
    /// The assignment must hold exactly `expected` values (1, public inputs, witnesses).
    case assignmentLength(expected: Int, actual: Int)
    /// Position 0 of an assignment is the constant wire and must be 1.
    case constantWireNotOne
}
