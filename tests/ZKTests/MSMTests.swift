import Testing
@testable import PakitZK

/// Sixteen points with uniformly random discrete logs, built from a table of 2ʲ·G with mixed
/// additions only; computed once per group because the debug build is slow.
private func makePool<C: ShortWeierstrassCurve>(_: C.Type) -> (points: [AffinePoint<C>], logs: [Fr]) {
    var rng = SeededGenerator(state: 0x9001)
    var powers = [JacobianPoint<C>]()
    var power = JacobianPoint<C>.generator
    for _ in 0..<254 {
        powers.append(power)
        power = power.doubled()
    }
    let table = JacobianPoint<C>.batchToAffine(powers)
    var logs = [Fr]()
    var jacobians = [JacobianPoint<C>]()
    for _ in 0..<16 {
        let log = Fr.random(using: &rng)
        let bits = log.standardValue
        var point = JacobianPoint<C>.identity
        for index in 0..<254 where bits.bit(index) { point += table[index] }
        logs.append(log)
        jacobians.append(point)
    }
    return (JacobianPoint<C>.batchToAffine(jacobians), logs)
}

private let g1Pool = makePool(BN254G1.self)
private let g2Pool = makePool(BN254G2.self)

/// `count` random multiples of G with known logs: a random walk Pᵢ = Pᵢ₋₁ + (random pool point),
/// one addition per point, so every Pᵢ is distinct with an unpredictable discrete log.
private func randomPoints<C: ShortWeierstrassCurve>(
    _ pool: (points: [AffinePoint<C>], logs: [Fr]), count: Int, using rng: inout SeededGenerator
) -> (points: [AffinePoint<C>], logs: [Fr]) {
    var point = JacobianPoint<C>.identity
    var log = Fr.zero
    var jacobians = [JacobianPoint<C>]()
    var logs = [Fr]()
    for _ in 0..<count {
        let pick = Int.random(in: 0..<pool.points.count, using: &rng)
        point += pool.points[pick]
        log += pool.logs[pick]
        jacobians.append(point)
        logs.append(log)
    }
    return (JacobianPoint<C>.batchToAffine(jacobians), logs)
}

/// Σ sᵢ·logᵢ·G computed with one scalar multiplication: an independent oracle for large n.
private func viaDiscreteLogs<C: ShortWeierstrassCurve>(
    _ logs: [Fr], _ scalars: [Fr], _: C.Type
) -> JacobianPoint<C> {
    var total = Fr.zero
    for (log, scalar) in zip(logs, scalars) { total += log * scalar }
    return AffinePoint<C>.generator.multiplied(by: total)
}

private let rMinusOne = -Fr.one

@Suite("Multi-scalar multiplication")
struct MSMTests {
    @Test("G1 Pippenger matches the naive sum", arguments: [0, 1, 2, 17])
    func g1MatchesNaive(count: Int) throws {
        var rng = SeededGenerator(state: 0x5eed_0000 + UInt64(count))
        let (points, _) = randomPoints(g1Pool, count: count, using: &rng)
        let scalars = (0..<count).map { _ in Fr.random(using: &rng) }
        let fast = try MSM.multiScalarMultiply(points, scalars)
        #expect(fast == (try MSM.naive(points, scalars)))
        #expect(fast.isOnCurve)
        if count == 0 { #expect(fast.isIdentity) }
    }

    @Test("G1 Pippenger with n = 100 matches the naive sum and the discrete-log oracle")
    func g1Hundred() throws {
        var rng = SeededGenerator(state: 100)
        let (points, logs) = randomPoints(g1Pool, count: 100, using: &rng)
        let scalars = (0..<100).map { _ in Fr.random(using: &rng) }
        let fast = try MSM.multiScalarMultiply(points, scalars)
        // Σ sᵢ·Pᵢ evaluated as (Σ sᵢ·logᵢ)·G: the same sum as `MSM.naive`, at 1/100 of the cost.
        #expect(fast == viaDiscreteLogs(logs, scalars, BN254G1.self))
        // Cross-check the oracle itself against `MSM.naive` on a prefix.
        #expect(viaDiscreteLogs(Array(logs[..<8]), Array(scalars[..<8]), BN254G1.self)
            == (try MSM.naive(Array(points[..<8]), Array(scalars[..<8]))))
    }

    @Test("G2 Pippenger matches the naive sum", arguments: [5, 20])
    func g2MatchesNaive(count: Int) throws {
        var rng = SeededGenerator(state: 0x6200 + UInt64(count))
        let (points, logs) = randomPoints(g2Pool, count: count, using: &rng)
        let scalars = (0..<count).map { _ in Fr.random(using: &rng) }
        let fast = try MSM.multiScalarMultiply(points, scalars)
        #expect(fast == viaDiscreteLogs(logs, scalars, BN254G2.self))
        if count <= 5 { #expect(fast == (try MSM.naive(points, scalars))) }
        #expect(fast.isOnCurve)
    }

    @Test("Edge scalars 0, 1 and r − 1, repeated points and the identity")
    func edgeScalars() throws {
        var rng = SeededGenerator(state: 7)
        let (points, _) = randomPoints(g1Pool, count: 3, using: &rng)
        let p = points[0], q = points[1], s = points[2]
        // 0·P + 1·Q + (r−1)·S = Q − S.
        #expect(try MSM.multiScalarMultiply([p, q, s], [.zero, .one, rMinusOne])
            == JacobianPoint(q) - JacobianPoint(s))
        // (r−1)·P + 1·P = O: the signed digits of r − 1 must cancel exactly.
        #expect(try MSM.multiScalarMultiply([p, p], [rMinusOne, .one]).isIdentity)
        // The same point in one bucket twice exercises the doubling branch of mixed addition.
        #expect(try MSM.multiScalarMultiply([p, p], [.one, .one]) == JacobianPoint(p).doubled())
        #expect(try MSM.multiScalarMultiply([p, .identity], [Fr(5), .one])
            == JacobianPoint(p).multiplied(by: Fr(5)))
        #expect(try MSM.multiScalarMultiply([p, q], [.zero, .zero]).isIdentity)
        let gen = G2Affine.generator
        #expect(try MSM.multiScalarMultiply([gen, gen], [rMinusOne, Fr(2)]) == G2Jacobian.generator)
    }

    @Test("Batch-affine buckets: repeated points (doublings), P + (−P) and one hot bucket")
    func batchAffineSpecialCases() throws {
        var rng = SeededGenerator(state: 4242)
        let (points, _) = randomPoints(g1Pool, count: 300, using: &rng)
        let scalars = (0..<300).map { _ in Fr.random(using: &rng) }
        // The same point with the same scalar lands in the same buckets (doubling); its negation
        // with the same scalar cancels it (the bucket empties); 400 equal scalars keep hitting
        // one bucket per window, which exercises the deferral and overflow paths.
        let hot = Fr(12345)
        let allPoints = points + points.prefix(40) + points.prefix(40).map { -$0 } + Array(repeating: points[0], count: 400)
        let allScalars = scalars + scalars.prefix(40) + scalars.prefix(40) + Array(repeating: hot, count: 400)
        #expect(try MSM.multiScalarMultiply(allPoints, allScalars) == MSM.naive(allPoints, allScalars))
    }

    @Test("Length mismatch throws")
    func lengthMismatch() {
        let g = G1Affine.generator
        #expect(throws: MSMError.lengthMismatch(points: 2, scalars: 1)) {
            try MSM.multiScalarMultiply([g, g], [Fr.one])
        }
        #expect(throws: MSMError.lengthMismatch(points: 1, scalars: 0)) {
            try MSM.naive([g], [Fr]())
        }
    }

    @Test("Signed recoding reconstructs the scalar for every window width")
    func recodingRoundTrips() {
        var rng = SeededGenerator(state: 99)
        let scalars = [Fr.zero, .one, rMinusOne] + (0..<20).map { _ in Fr.random(using: &rng) }
        let values = scalars.map(\.standardValue)
        for width in 1...Pippenger.maxWidth {
            let windows = Pippenger.windowCount(width: width)
            let digits = Pippenger.Plan<BN254G1>.recode(values, width: width, windowCount: windows)
            let radix = Fr(UInt64(1) << UInt64(width))
            let half = Int32(1) << Int32(width - 1)
            for (term, scalar) in scalars.enumerated() {
                var rebuilt = Fr.zero
                for window in stride(from: windows - 1, through: 0, by: -1) {
                    let digit = digits[window * scalars.count + term]
                    #expect(digit > -half && digit <= half)
                    let magnitude = Fr(UInt64(digit.magnitude))
                    rebuilt = rebuilt * radix + (digit < 0 ? -magnitude : magnitude)
                }
                #expect(rebuilt == scalar, "width \(width)")
            }
        }
    }

    @Test("Window width grows with n and stays in 1…16")
    func windowWidths() {
        var previous = 1
        for exponent in 0...24 {
            let width = MSM.windowWidth(forCount: 1 << exponent)
            #expect((1...16).contains(width))
            #expect(width >= previous)
            previous = width
        }
    }

    @Test("Concurrent Pippenger matches the oracle")
    func concurrentMatches() async throws {
        var rng = SeededGenerator(state: 300)
        let (points, logs) = randomPoints(g1Pool, count: 40, using: &rng)
        let scalars = (0..<40).map { _ in Fr.random(using: &rng) }
        let expected = viaDiscreteLogs(logs, scalars, BN254G1.self)
        // Threshold 0 forces the task-group path even for this small n.
        #expect(try await MSM.concurrentPippenger(points, scalars, tasks: 2, threshold: 0) == expected)
        #expect(try await MSM.concurrentPippenger(points, scalars, tasks: 3, threshold: 0) == expected)
        #expect(try await MSM.multiScalarMultiplyConcurrently([G1Affine](), []).isIdentity)
    }
}
