/// A univariate polynomial over Fr in coefficient form, lowest degree first.
public struct DensePolynomial: Equatable, Sendable {
    /// Coefficients c₀, c₁, …; trailing zeros are trimmed, so the zero polynomial is empty.
    public private(set) var coefficients: [Fr]

    /// The polynomial Σ cᵢ·xⁱ.
    public init(coefficients: [Fr]) {
        self.coefficients = coefficients
        while self.coefficients.last?.isZero == true { self.coefficients.removeLast() }
    }

    /// The degree; −1 for the zero polynomial.
    public var degree: Int { coefficients.count - 1 }

    /// The value at `point` (Horner).
    public func evaluate(at point: Fr) -> Fr {
        coefficients.reversed().reduce(Fr.zero) { $0 * point + $1 }
    }

    /// The product, via FFT on the smallest domain that holds it (schoolbook for tiny operands,
    /// where the transforms cost more than they save).
    public static func * (lhs: DensePolynomial, rhs: DensePolynomial) -> DensePolynomial {
        if lhs.coefficients.isEmpty || rhs.coefficients.isEmpty { return DensePolynomial(coefficients: []) }
        let productCount = lhs.coefficients.count + rhs.coefficients.count - 1
        if min(lhs.coefficients.count, rhs.coefficients.count) <= 8 {
            return schoolbookProduct(lhs, rhs)
        }
        guard let domain = EvaluationDomain(atLeast: productCount) else {
            return schoolbookProduct(lhs, rhs)
        }
        var left = lhs.coefficients, right = rhs.coefficients
        domain.fft(&left)
        domain.fft(&right)
        for i in left.indices { left[i] *= right[i] }
        domain.ifft(&left)
        return DensePolynomial(coefficients: Array(left[..<productCount]))
    }

    /// The product by the O(n·m) definition.
    static func schoolbookProduct(_ lhs: DensePolynomial, _ rhs: DensePolynomial) -> DensePolynomial {
        var product = [Fr](repeating: .zero, count: lhs.coefficients.count + rhs.coefficients.count - 1)
        for (i, a) in lhs.coefficients.enumerated() {
            for (j, b) in rhs.coefficients.enumerated() { product[i + j] += a * b }
        }
        return DensePolynomial(coefficients: product)
    }
}
