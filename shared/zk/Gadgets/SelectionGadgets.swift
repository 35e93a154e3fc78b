/// Conditional selection and swapping driven by a boolean (which must be constrained boolean
/// elsewhere, e.g. by `bits(of:count:)` or `assertBoolean`).
extension ConstraintSystem {
    /// `condition ? ifTrue : ifFalse` as ifFalse + condition·(ifTrue − ifFalse) (one constraint).
    public mutating func select(
        _ condition: LinearCombination, _ ifTrue: LinearCombination, _ ifFalse: LinearCombination
    ) -> LinearCombination {
        ifFalse + LinearCombination(multiply(condition, ifTrue - ifFalse))
    }

    /// `(first, second)` if `condition` is 0, `(second, first)` if it is 1, with one shared
    /// product d = condition·(second − first) (one constraint): a Merkle-path level's ordering.
    public mutating func conditionalSwap(
        _ condition: LinearCombination, _ first: LinearCombination, _ second: LinearCombination
    ) -> (LinearCombination, LinearCombination) {
        let delta = LinearCombination(multiply(condition, second - first))
        return (first + delta, second - delta)
    }
}
