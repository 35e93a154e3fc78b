/// Linear arithmetic on combinations: all of it is free in R1CS (no constraints).
extension LinearCombination {
    /// `lhs + factor·rhs` by merging the two sorted term lists.
    @usableFromInline
    static func merge(_ lhs: LinearCombination, _ rhs: LinearCombination, scaling factor: Fr) -> LinearCombination {
        if factor.isZero || rhs.terms.isEmpty { return lhs }
        var result: [Term] = []
        result.reserveCapacity(lhs.terms.count + rhs.terms.count)
        var i = 0, j = 0
        let left = lhs.terms, right = rhs.terms
        while i < left.count, j < right.count {
            let a = left[i], b = right[j]
            if a.variable < b.variable {
                result.append(a); i += 1
            } else if b.variable < a.variable {
                result.append(Term(b.variable, b.coefficient * factor)); j += 1
            } else {
                let sum = a.coefficient + b.coefficient * factor
                // Cancelled terms are dropped to keep the representation canonical.
                if !sum.isZero { result.append(Term(a.variable, sum)) }
                i += 1; j += 1
            }
        }
        result.append(contentsOf: left[i...])
        while j < right.count {
            result.append(Term(right[j].variable, right[j].coefficient * factor)); j += 1
        }
        return LinearCombination(canonicalTerms: result)
    }

    /// Adds `factor·other` in place (the workhorse for folding linear layers).
    @inlinable
    public mutating func add(_ other: LinearCombination, times factor: Fr = .one) {
        self = Self.merge(self, other, scaling: factor)
    }

    /// Sum.
    @inlinable
    public static func + (lhs: LinearCombination, rhs: LinearCombination) -> LinearCombination {
        merge(lhs, rhs, scaling: .one)
    }

    /// Difference.
    @inlinable
    public static func - (lhs: LinearCombination, rhs: LinearCombination) -> LinearCombination {
        merge(lhs, rhs, scaling: -Fr.one)
    }

    /// Negation.
    @inlinable
    public static prefix func - (value: LinearCombination) -> LinearCombination {
        value * -Fr.one
    }

    /// Scaling by a field constant.
    @inlinable
    public static func * (lhs: LinearCombination, rhs: Fr) -> LinearCombination {
        if rhs.isZero { return .zero }
        return LinearCombination(canonicalTerms: lhs.terms.map { Term($0.variable, $0.coefficient * rhs) })
    }

    /// Scaling by a field constant.
    @inlinable
    public static func * (lhs: Fr, rhs: LinearCombination) -> LinearCombination {
        rhs * lhs
    }

    /// Adds a constant.
    @inlinable
    public static func + (lhs: LinearCombination, rhs: Fr) -> LinearCombination {
        lhs + LinearCombination(constant: rhs)
    }

    /// Subtracts a constant.
    @inlinable
    public static func - (lhs: LinearCombination, rhs: Fr) -> LinearCombination {
        lhs + LinearCombination(constant: -rhs)
    }

    /// In-place sum.
    @inlinable
    public static func += (lhs: inout LinearCombination, rhs: LinearCombination) {
        lhs = lhs + rhs
    }

    /// In-place difference.
    @inlinable
    public static func -= (lhs: inout LinearCombination, rhs: LinearCombination) {
        lhs = lhs - rhs
    }
}

/// Mixed arithmetic so gadget code can write `x + y` for variables directly.
extension Variable {
    /// `lhs + rhs` as a combination.
    @inlinable
    public static func + (lhs: Variable, rhs: Variable) -> LinearCombination {
        LinearCombination(lhs) + LinearCombination(rhs)
    }

    /// `lhs − rhs` as a combination.
    @inlinable
    public static func - (lhs: Variable, rhs: Variable) -> LinearCombination {
        LinearCombination(lhs) - LinearCombination(rhs)
    }

    /// `coefficient·variable`.
    @inlinable
    public static func * (lhs: Fr, rhs: Variable) -> LinearCombination {
        LinearCombination(rhs, coefficient: lhs)
    }
}
