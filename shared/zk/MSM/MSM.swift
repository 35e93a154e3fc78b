/// Errors from multi-scalar multiplication.
public enum MSMError: Error, Equatable, Sendable {
    /// The point and scalar arrays differ in length.
    case lengthMismatch(points: Int, scalars: Int)
}

/// Multi-scalar multiplication Σ sᵢ·Pᵢ over any BN254 short-Weierstrass group (G1 or G2).
///
/// The fast path is Pippenger's bucket method with signed window digits: each scalar is
/// split into c-bit digits in (−2ᶜ⁻¹, 2ᶜ⁻¹], every point is added into the bucket of its
/// digit's magnitude (negated for negative digits, which costs one field negation) — in
/// affine coordinates with batched inversions (`Pippenger+BatchAffine.swift`) — buckets are
/// reduced with a running sum, and windows are combined by c doublings each.
///
/// Not constant time: running time depends on the scalars, which is acceptable for a prover
/// working on its own machine (the same stance as `multiplied(by:)`).
///
/// The entry points are `@inlinable` so callers get code specialised for their curve; an
/// unspecialised generic MSM would dispatch every field operation through witness tables.
public enum MSM {
    /// `Σ scalars[i] · points[i]` by Pippenger's method.
    ///
    /// Identity points and zero scalars are skipped; an empty input yields the identity.
    ///
    /// - Throws: `MSMError.lengthMismatch` when the arrays differ in length.
    @inlinable
    public static func multiScalarMultiply<C: ShortWeierstrassCurve>(
        _ points: [AffinePoint<C>], _ scalars: [Fr]
    ) throws(MSMError) -> JacobianPoint<C> {
        let plan = try Pippenger.Plan(points: points, scalars: scalars)
        guard plan.count > 0 else { return .identity }
        var windowSums = [JacobianPoint<C>]()
        windowSums.reserveCapacity(plan.windowCount)
        var scratch = Pippenger.AffineScratch<C>()
        for window in 0..<plan.windowCount {
            windowSums.append(plan.windowSum(window, scratch: &scratch))
        }
        return plan.combine(windowSums)
    }

    /// `Σ scalars[i] · points[i]` with the windows split across `tasks` child tasks.
    ///
    /// Windows are independent, so each task sums a contiguous slice of them with its own
    /// buckets; only the final doubling-and-add combination is sequential. Worth it from a few
    /// hundred points up; for small inputs it simply falls back to the sequential path.
    ///
    /// - Throws: `MSMError.lengthMismatch` when the arrays differ in length.
    @inlinable
    public static func multiScalarMultiplyConcurrently<C: ShortWeierstrassCurve>(
        _ points: [AffinePoint<C>], _ scalars: [Fr], tasks: Int = 2
    ) async throws(MSMError) -> JacobianPoint<C> {
        // Below a few hundred terms task overhead outweighs the split.
        try await concurrentPippenger(points, scalars, tasks: tasks, threshold: 256)
    }

    /// The concurrent path with an explicit size threshold (tests force it with 0).
    @inlinable
    static func concurrentPippenger<C: ShortWeierstrassCurve>(
        _ points: [AffinePoint<C>], _ scalars: [Fr], tasks: Int, threshold: Int
    ) async throws(MSMError) -> JacobianPoint<C> {
        let plan = try Pippenger.Plan(points: points, scalars: scalars)
        guard plan.count > 0 else { return .identity }
        let taskCount = max(1, min(tasks, plan.windowCount))
        guard taskCount > 1, plan.count >= threshold else {
            var scratch = Pippenger.AffineScratch<C>()
            return plan.combine((0..<plan.windowCount).map { plan.windowSum($0, scratch: &scratch) })
        }
        let windowSums = await withTaskGroup(
            of: (Int, [JacobianPoint<C>]).self, returning: [JacobianPoint<C>].self
        ) { group in
            for task in 0..<taskCount {
                // Interleave windows so each task gets an even share of the work.
                let windows = Array(stride(from: task, to: plan.windowCount, by: taskCount))
                group.addTask {
                    var scratch = Pippenger.AffineScratch<C>()
                    return (task, windows.map { plan.windowSum($0, scratch: &scratch) })
                }
            }
            var sums = [JacobianPoint<C>](repeating: .identity, count: plan.windowCount)
            for await (task, partial) in group {
                for (offset, sum) in partial.enumerated() {
                    sums[task + offset * taskCount] = sum
                }
            }
            return sums
        }
        return plan.combine(windowSums)
    }

    /// Reference `Σ scalars[i] · points[i]` by independent double-and-add per term.
    ///
    /// Slow (≈ 254 doublings per point); meant for tests and cross-checks.
    ///
    /// - Throws: `MSMError.lengthMismatch` when the arrays differ in length.
    @inlinable
    public static func naive<C: ShortWeierstrassCurve>(
        _ points: [AffinePoint<C>], _ scalars: [Fr]
    ) throws(MSMError) -> JacobianPoint<C> {
        guard points.count == scalars.count else {
            throw .lengthMismatch(points: points.count, scalars: scalars.count)
        }
        var sum = JacobianPoint<C>.identity
        for (point, scalar) in zip(points, scalars) {
            sum += point.multiplied(by: scalar)
        }
        return sum
    }

    /// The window width c (1…16) Pippenger uses for `count` terms.
    ///
    /// Minimises the estimated cost ⌈255/c⌉ · (n + 5 · 2ᶜ⁻¹) in units of one batch-affine
    /// bucket addition (≈ 6 multiplications): one per term and window, plus a mixed and a full
    /// Jacobian addition (≈ 27 multiplications, ~5 units) per bucket in the running-sum
    /// reduction. The optimum grows like ln n, as the classic heuristic says.
    public static func windowWidth(forCount count: Int) -> Int {
        var best = 1
        var bestCost = Double.infinity
        for width in 1...Pippenger.maxWidth {
            let windows = Double(Pippenger.windowCount(width: width))
            let cost = windows * (Double(count) + 5 * Double(1 << (width - 1)))
            if cost < bestCost {
                best = width
                bestCost = cost
            }
        }
        return best
    }
}
