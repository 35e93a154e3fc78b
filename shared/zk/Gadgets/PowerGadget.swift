/// The Poseidon S-box x⁵ as constraints.
extension ConstraintSystem {
    /// x⁵ in three constraints (x·x = x², x²·x² = x⁴, x⁴·x = x⁵); x stays a linear
    /// combination, so the preceding linear layer costs nothing.
    ///
    /// A constant x is evaluated at build time and costs no constraint (this is why the
    /// first-round S-box of Poseidon's zero capacity element is free).
    public mutating func fifthPower(_ x: LinearCombination) -> LinearCombination {
        if x.isConstant { return LinearCombination(constant: Poseidon.sbox(x.constantTerm)) }
        let square = LinearCombination(multiply(x, x))
        let fourth = LinearCombination(multiply(square, square))
        return LinearCombination(multiply(fourth, x))
    }
}
