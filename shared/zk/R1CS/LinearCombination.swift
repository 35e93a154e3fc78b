/// A sparse linear combination Σ cᵢ·vᵢ of variables, with constants expressed as terms on
/// `Variable.one`.
///
/// Terms are kept sorted by variable, unique and with non-zero coefficients, so addition is a
/// linear merge and equal combinations have equal representations.
public struct LinearCombination: Equatable, Sendable {
    /// One coefficient·variable product.
    public struct Term: Equatable, Sendable {
        /// The wire.
        public var variable: Variable
        /// Its non-zero coefficient.
        public var coefficient: Fr

        /// Creates a term.
        @inlinable
        public init(_ variable: Variable, _ coefficient: Fr) {
            self.variable = variable
            self.coefficient = coefficient
        }
    }

    /// The terms, sorted by variable, unique, non-zero.
    public private(set) var terms: [Term]

    /// Wraps terms already in canonical form.
    @usableFromInline
    init(canonicalTerms: [Term]) {
        self.terms = canonicalTerms
    }

    /// The empty combination (value 0).
    public init() {
        self.terms = []
    }

    /// The combination 1·variable.
    public init(_ variable: Variable) {
        self.terms = [Term(variable, .one)]
    }

    /// The combination coefficient·variable.
    public init(_ variable: Variable, coefficient: Fr) {
        self.terms = coefficient.isZero ? [] : [Term(variable, coefficient)]
    }

    /// The constant `value` (a term on `Variable.one`).
    public init(constant value: Fr) {
        self.init(.one, coefficient: value)
    }

    /// Sums arbitrary terms (any order, duplicates and zeros allowed).
    public init(terms: some Sequence<Term>) {
        var result = LinearCombination()
        for term in terms.sorted(by: { $0.variable < $1.variable }) {
            if let last = result.terms.last, last.variable == term.variable {
                result.terms[result.terms.count - 1].coefficient += term.coefficient
            } else {
                result.terms.append(term)
            }
        }
        result.terms.removeAll { $0.coefficient.isZero }
        self = result
    }

    /// The zero combination.
    public static var zero: LinearCombination { LinearCombination() }

    /// The constant 1.
    public static var one: LinearCombination { LinearCombination(.one) }

    /// Whether no variable other than `one` occurs, i.e. the value is known at circuit-build time.
    public var isConstant: Bool {
        terms.allSatisfy { $0.variable.kind == .one }
    }

    /// The coefficient of `Variable.one`.
    public var constantTerm: Fr {
        terms.first.flatMap { $0.variable.kind == .one ? $0.coefficient : nil } ?? .zero
    }

    /// Evaluates Σ cᵢ·value(vᵢ).
    @inlinable
    public func evaluate(_ value: (Variable) -> Fr) -> Fr {
        var sum = Fr.zero
        for term in terms { sum += term.coefficient * value(term.variable) }
        return sum
    }
}
