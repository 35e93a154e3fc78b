/// A multiplicative subgroup {1, ω, …, ω^(n−1)} of Fr with n = 2ᵏ ≤ 2²⁸, for radix-2 FFTs.
///
/// ω is `Fr.rootOfUnity` (a primitive 2²⁸-th root, from the generator 5 as in arkworks)
/// squared down 28 − k times, so setup and prover agree on the domain (zk.md §8.6).
/// Twiddle factors are computed once; a domain of size n holds n/2 of them each way
/// (16 bytes·n in total).
public struct EvaluationDomain: Sendable {
    /// n, the number of points.
    public let size: Int
    /// k = log₂ n.
    public let logSize: Int
    /// ω, a primitive n-th root of unity.
    public let generator: Fr
    /// ω⁻¹.
    public let generatorInverse: Fr
    /// n⁻¹, the scale of the inverse transform.
    public let sizeInverse: Fr
    /// The coset offset g = 5 (a non-residue, so g·H is disjoint from H).
    public let cosetOffset: Fr
    /// g⁻¹.
    public let cosetOffsetInverse: Fr
    /// ωⁱ for i < n/2.
    let twiddles: [Fr]
    /// ω⁻ⁱ for i < n/2.
    let inverseTwiddles: [Fr]

    /// The domain of exactly `size` points; nil unless `size` is a power of two in 1 … 2²⁸.
    public init?(size: Int) {
        guard size > 0, size.nonzeroBitCount == 1 else { return nil }
        let logSize = size.trailingZeroBitCount
        guard logSize <= Fr.twoAdicity else { return nil }
        var generator = Fr.rootOfUnity
        for _ in logSize..<Fr.twoAdicity { generator = generator.square() }
        guard let generatorInverse = generator.inverse(),
              let sizeInverse = Fr(UInt64(size)).inverse(),
              let cosetOffsetInverse = Fr.multiplicativeGenerator.inverse()
        else { return nil }
        self.size = size
        self.logSize = logSize
        self.generator = generator
        self.generatorInverse = generatorInverse
        self.sizeInverse = sizeInverse
        self.cosetOffset = Fr.multiplicativeGenerator
        self.cosetOffsetInverse = cosetOffsetInverse
        self.twiddles = Self.powers(of: generator, count: size / 2)
        self.inverseTwiddles = Self.powers(of: generatorInverse, count: size / 2)
    }

    /// The smallest domain with at least `count` points; nil if that exceeds 2²⁸.
    public init?(atLeast count: Int) {
        guard count <= 1 << Fr.twoAdicity else { return nil }
        var size = 1
        while size < count { size <<= 1 }
        self.init(size: size)
    }

    /// The domain points ω⁰ … ω^(n−1).
    public var elements: [Fr] { Self.powers(of: generator, count: size) }

    /// xⁿ − 1 at `point`: the vanishing polynomial of the domain (zero exactly on it).
    public func vanishingPolynomial(at point: Fr) -> Fr {
        var power = point
        for _ in 0..<logSize { power = power.square() }
        return power - .one
    }

    /// [1, x, x², …] with `count` entries.
    static func powers(of x: Fr, count: Int) -> [Fr] {
        var result: [Fr] = []
        result.reserveCapacity(count)
        var power = Fr.one
        for _ in 0..<count {
            result.append(power)
            power *= x
        }
        return result
    }
}
