/// Equality: assertion and circomlib's IsZero / IsEqual.
extension ConstraintSystem {
    /// Constrains a = b with (a − b)·1 = 0 (one constraint).
    public mutating func assertEqual(_ a: LinearCombination, _ b: LinearCombination) {
        enforce(a - b, .one, .zero)
    }

    /// A bit that is 1 exactly when `value` is 0 (two constraints).
    ///
    /// With the witness inv = value⁻¹ (0 for 0): out = 1 − value·inv, and value·out = 0.
    /// If value = 0 the first forces out = 1; otherwise the second forces out = 0.
    public mutating func isZero(_ value: LinearCombination) -> LinearCombination {
        let inverse = witness(self.value(of: value).inverse() ?? .zero)
        let out = LinearCombination.one - LinearCombination(multiply(value, LinearCombination(inverse)))
        enforce(value, out, .zero)
        return out
    }

    /// A bit that is 1 exactly when a = b (two constraints).
    public mutating func isEqual(_ a: LinearCombination, _ b: LinearCombination) -> LinearCombination {
        isZero(a - b)
    }
}
