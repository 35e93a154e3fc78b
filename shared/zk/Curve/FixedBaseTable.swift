/// Many multiples of one fixed point, as a key setup needs (millions of [xᵢ]·G).
///
/// The scalar is cut into 8-bit windows; window w holds d·2^(8w)·P for d = 1…255 in affine
/// form, so one multiple costs at most 32 mixed additions and no doublings (≈ 8× fewer group
/// operations than double-and-add). The table is 32·255 points (≈ 0.5 MB in G1, 1 MB in G2).
public struct FixedBaseTable<Curve: ShortWeierstrassCurve>: Sendable {
    @usableFromInline
    static var windowBits: Int { 8 }
    @usableFromInline
    static var windowCount: Int { 32 }

    /// `windows[w][d − 1]` = d·2^(8w)·base.
    @usableFromInline
    let windows: [[AffinePoint<Curve>]]

    /// Precomputes the table for `base`.
    public init(base: AffinePoint<Curve>) {
        var windows: [[AffinePoint<Curve>]] = []
        windows.reserveCapacity(Self.windowCount)
        var windowBase = JacobianPoint(base)
        for _ in 0..<Self.windowCount {
            var multiples: [JacobianPoint<Curve>] = []
            multiples.reserveCapacity(255)
            var running = windowBase
            for _ in 1...255 {
                multiples.append(running)
                running += windowBase
            }
            windows.append(JacobianPoint.batchToAffine(multiples))
            // running = 256·windowBase, the next window's base.
            windowBase = running
        }
        self.windows = windows
    }

    /// `scalar · base`.
    @inlinable
    public func multiply(_ scalar: Fr) -> JacobianPoint<Curve> {
        let value = scalar.standardValue
        var result = JacobianPoint<Curve>.identity
        for (limbIndex, limb) in [value.l0, value.l1, value.l2, value.l3].enumerated() {
            var remaining = limb
            for byteIndex in 0..<8 {
                let digit = Int(remaining & 0xFF)
                remaining >>= 8
                if digit != 0 { result += windows[limbIndex * 8 + byteIndex][digit - 1] }
            }
        }
        return result
    }

    /// `scalars[i] · base` for every i, in affine form, split across `tasks` child tasks.
    public func multiplyAll(_ scalars: [Fr], tasks: Int = 2) async -> [AffinePoint<Curve>] {
        let taskCount = max(1, min(tasks, scalars.count / 1024))
        guard taskCount > 1 else { return JacobianPoint.batchToAffine(scalars.map(multiply)) }
        let sliceSize = (scalars.count + taskCount - 1) / taskCount
        return await withTaskGroup(of: (Int, [AffinePoint<Curve>]).self) { group in
            for task in 0..<taskCount {
                let range = (task * sliceSize)..<min(scalars.count, (task + 1) * sliceSize)
                group.addTask {
                    (task, JacobianPoint.batchToAffine(scalars[range].map(self.multiply)))
                }
            }
            var parts = [[AffinePoint<Curve>]](repeating: [], count: taskCount)
            for await (task, part) in group { parts[task] = part }
            return parts.flatMap { $0 }
        }
    }
}
