import Testing
@testable import PakitZK

/// `count` reproducible random field elements.
private func randomElements(_ count: Int, seed: UInt64) -> [Fr] {
    var generator = SeededGenerator(state: seed)
    return (0..<count).map { _ in Fr.random(using: &generator) }
}

@Suite("Radix-2 FFT")
struct FFTTests {
    @Test("domains exist for powers of two up to 2²⁸ with a primitive root of unity")
    func domains() throws {
        #expect(EvaluationDomain(size: 0) == nil)
        #expect(EvaluationDomain(size: 12) == nil)
        #expect(EvaluationDomain(size: 1 << 29) == nil)
        #expect(EvaluationDomain(atLeast: 5)?.size == 8)
        #expect(EvaluationDomain(atLeast: 4096)?.size == 4096)
        let domain = try #require(EvaluationDomain(size: 64))
        #expect(domain.logSize == 6)
        #expect(domain.generator.pow(UInt256(64)) == .one)
        #expect(domain.generator.pow(UInt256(32)) == -Fr.one)
        #expect(domain.generator * domain.generatorInverse == .one)
        // The full 2²⁸ root: ω^(2²⁷) = −1.
        var root = Fr.rootOfUnity
        for _ in 0..<27 { root = root.square() }
        #expect(root == -Fr.one)
        #expect(domain.elements.allSatisfy { domain.vanishingPolynomial(at: $0).isZero })
        #expect(!domain.vanishingPolynomial(at: domain.cosetOffset).isZero)
    }

    @Test("FFT equals naive evaluation at the domain points", arguments: [1, 2, 8, 64])
    func fftMatchesNaiveEvaluation(size: Int) throws {
        let domain = try #require(EvaluationDomain(size: size))
        let coefficients = randomElements(size, seed: UInt64(size))
        let polynomial = DensePolynomial(coefficients: coefficients)
        let evaluations = domain.fft(coefficients)
        #expect(evaluations == domain.elements.map { polynomial.evaluate(at: $0) })
    }

    @Test("iFFT inverts FFT (and zero-pads short input)", arguments: [1, 2, 8, 64, 1024])
    func inverseRoundTrip(size: Int) throws {
        let domain = try #require(EvaluationDomain(size: size))
        let values = randomElements(size, seed: 100 + UInt64(size))
        #expect(domain.ifft(domain.fft(values)) == values)
        #expect(domain.fft(domain.ifft(values)) == values)
        let short = Array(values.prefix(max(1, size / 2)))
        #expect(domain.ifft(domain.fft(short)) == short + Array(repeating: .zero, count: size - short.count))
    }

    @Test("coset FFT evaluates on g·H and its inverse recovers the coefficients")
    func cosetTransform() throws {
        let domain = try #require(EvaluationDomain(size: 16))
        let coefficients = randomElements(16, seed: 7)
        let polynomial = DensePolynomial(coefficients: coefficients)
        var values = coefficients
        domain.cosetFFT(&values)
        #expect(values == domain.elements.map { polynomial.evaluate(at: domain.cosetOffset * $0) })
        domain.cosetIFFT(&values)
        #expect(values == coefficients)
    }

    @Test("polynomial multiplication via FFT equals schoolbook", arguments: [(1, 1), (5, 9), (37, 50), (64, 64)])
    func multiplication(leftCount: Int, rightCount: Int) {
        let left = DensePolynomial(coefficients: randomElements(leftCount, seed: 1))
        let right = DensePolynomial(coefficients: randomElements(rightCount, seed: 2))
        let product = left * right
        var expected = [Fr](repeating: .zero, count: leftCount + rightCount - 1)
        for (i, a) in left.coefficients.enumerated() {
            for (j, b) in right.coefficients.enumerated() { expected[i + j] += a * b }
        }
        #expect(product.coefficients == expected)
        #expect(product.degree == leftCount + rightCount - 2)
        #expect(left * DensePolynomial(coefficients: []) == DensePolynomial(coefficients: []))
    }
}
