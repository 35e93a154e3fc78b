/// A rank-1 constraint system that records constraints and computes the witness in the same
/// pass, so the circuit and its witness come from one piece of gadget code and cannot drift.
///
/// Gadgets allocate variables with their values (`publicInput`, `witness`, `multiply`) and add
/// constraints with `enforce`. The flat assignment is `[1, public inputs…, witnesses…]`
/// (`assignment`); a different assignment can be checked with `firstUnsatisfied(in:)`, which
/// is how tamper tests show that every witness value is pinned down.
public struct ConstraintSystem: Sendable {
    /// The recorded constraints, in order.
    public private(set) var constraints: [Constraint] = []
    /// Values of the public inputs, in allocation order.
    public private(set) var publicValues: [Fr] = []
    /// Values of the private witnesses, in allocation order.
    public private(set) var witnessValues: [Fr] = []

    /// An empty system (only the constant wire).
    public init() {}

    // MARK: Sizes

    /// Number of constraints.
    public var constraintCount: Int { constraints.count }
    /// Number of public inputs (not counting the constant wire).
    public var publicInputCount: Int { publicValues.count }
    /// Number of private witnesses.
    public var witnessCount: Int { witnessValues.count }
    /// Number of variables including the constant wire: the length of `assignment`.
    public var variableCount: Int { 1 + publicValues.count + witnessValues.count }

    // MARK: Allocation

    /// Allocates a public input with the given value.
    public mutating func publicInput(_ value: Fr) -> Variable {
        publicValues.append(value)
        return Variable(kind: .publicInput, slot: publicValues.count - 1)
    }

    /// Allocates a private witness with the given value (unconstrained until a gadget constrains it).
    public mutating func witness(_ value: Fr) -> Variable {
        witnessValues.append(value)
        return Variable(kind: .witness, slot: witnessValues.count - 1)
    }

    /// Records the constraint a·b = c. The current values need not satisfy it (that is what
    /// `isSatisfied` reports), so a wrong witness is detected rather than trapped on.
    public mutating func enforce(_ a: LinearCombination, _ b: LinearCombination, _ c: LinearCombination) {
        constraints.append(Constraint(a, b, c))
    }

    /// Allocates the witness p = value(a)·value(b) and constrains a·b = p (one constraint).
    public mutating func multiply(_ a: LinearCombination, _ b: LinearCombination) -> Variable {
        let product = witness(value(of: a) * value(of: b))
        enforce(a, b, LinearCombination(product))
        return product
    }

    // MARK: Values

    /// The current value of a variable.
    @inlinable
    public func value(of variable: Variable) -> Fr {
        switch variable.kind {
        case .one: .one
        case .publicInput: publicValues[variable.slot]
        case .witness: witnessValues[variable.slot]
        }
    }

    /// The current value of a linear combination.
    public func value(of combination: LinearCombination) -> Fr {
        combination.evaluate { value(of: $0) }
    }

    /// Position of `variable` in the flat assignment `[1, public inputs…, witnesses…]`.
    ///
    /// Public inputs allocated later shift witness indices, so compute this after synthesis.
    public func index(of variable: Variable) -> Int {
        switch variable.kind {
        case .one: 0
        case .publicInput: 1 + variable.slot
        case .witness: 1 + publicValues.count + variable.slot
        }
    }

    /// The flat assignment z = `[1, public inputs…, witnesses…]`.
    public var assignment: [Fr] {
        [.one] + publicValues + witnessValues
    }

    // MARK: Satisfaction

    /// Whether the computed witness satisfies every constraint.
    public func isSatisfied() -> Bool { firstUnsatisfied() == nil }

    /// Index of the first constraint the computed witness violates, or nil if all hold.
    public func firstUnsatisfied() -> Int? {
        constraints.firstIndex { !$0.isSatisfied { value(of: $0) } }
    }

    /// Index of the first constraint violated by a substituted flat assignment, or nil if all hold.
    public func firstUnsatisfied(in assignment: [Fr]) throws(ConstraintSystemError) -> Int? {
        try firstUnsatisfied(in: assignment, among: constraints.indices)
    }

    /// Whether a substituted flat assignment satisfies every constraint; false for a malformed one.
    public func isSatisfied(by assignment: [Fr]) -> Bool {
        do {
            return try firstUnsatisfied(in: assignment) == nil
        } catch {
            return false
        }
    }
}
