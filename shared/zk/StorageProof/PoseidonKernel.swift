/// A faster native Poseidon permutation for sealing, computing exactly `Poseidon.permute`
/// (tests compare the two). It starts from the module's optimised schedule (sparse partial
/// rounds) and makes two further rewrites, both exact:
///
/// 1. **Lazy rows.** Every matrix row is one sum of products with a single Montgomery
///    reduction (`FrSumOfProducts`) instead of one reduction per product.
/// 2. **Deferred column updates.** A sparse partial round k computes x = S(s₀ + cₖ), the new
///    s₀ = rowₖ · (x, s₁ … s_{t−1}), and sⱼ += colₖ[j]·x for j ≥ 1 — t − 1 separate
///    multiplications per round, the largest cost left. Here the sⱼ stay stale for a window of
///    up to `window` rounds; round k's row sum adds the missed updates through precomputed
///    constants γ_{k,m} = Σⱼ rowₖ[j]·col_m[j] (one extra term per earlier round of the window),
///    and at the end of the window each sⱼ absorbs all its updates in one lazy sum.
///    Row sums grow to at most t + window − 1 terms, within the lazy-sum bound of 22.
///
/// All tables live in one buffer owned for the process lifetime.
final class PoseidonKernel: @unchecked Sendable {
    // @unchecked: the buffer is written once in init and only read afterwards.

    /// State width t.
    let width: Int
    /// Number of partial rounds.
    let partialRounds: Int
    /// Partial rounds whose column updates are deferred together: as many as the lazy-sum
    /// bound allows (t + window − 1 ≤ 22) and the scratch holds (window + 1 ≤ t), at most 6
    /// (beyond that the γ terms cost more than the updates they replace).
    let window: Int

    private let storage: UnsafeMutableBufferPointer<Fr>
    /// Full-round constants, round-major (t per round).
    private let fullConstantsOffset: Int
    /// One scalar per partial round.
    private let scalarsOffset: Int
    /// Per partial round k: rowₖ (t entries) then γ_{k,m} for the earlier rounds m of its
    /// window (up to `window − 1`), in a stride of t + window − 1.
    private let rowsOffset: Int
    /// Per window and j ∈ 1 … t−1: col_m[j] for the window's rounds m, then 1 (the stale sⱼ's
    /// own coefficient), in a stride of window + 1.
    private let updatesOffset: Int
    /// The (t−1)² dense block applied after the partial rounds.
    private let exitOffset: Int
    /// M, row-major.
    private let mdsOffset: Int

    /// Derives the tables from the schedule. Nil if a row sum could exceed the lazy bound.
    init?(_ schedule: PoseidonSchedule) {
        let t = schedule.width
        let window = min(6, t - 1, FrSumOfProducts.maximumTerms + 1 - t)
        guard window >= 1 else { return nil }
        self.window = window
        width = t
        partialRounds = schedule.partialRounds
        let rows = schedule.sparseFirstRows, columns = schedule.sparseFirstColumns
        let row = { (k: Int, j: Int) in rows[k * t + j] }            // j in 0..<t
        let column = { (m: Int, j: Int) in columns[m * (t - 1) + j - 1] }  // j in 1..<t

        var extendedRows: [Fr] = []
        var updates: [Fr] = []
        for start in stride(from: 0, to: partialRounds, by: window) {
            let size = min(window, partialRounds - start)
            for k in start..<(start + size) {
                extendedRows += (0..<t).map { row(k, $0) }
                extendedRows += (start..<k).map { m in (1..<t).reduce(Fr.zero) { $0 + row(k, $1) * column(m, $1) } }
                extendedRows += [Fr](repeating: .zero, count: window - 1 - (k - start))
            }
            for j in 1..<t {
                updates += (start..<(start + size)).map { column($0, j) } + [Fr.one]
                updates += [Fr](repeating: .zero, count: window - size)
            }
        }
        let tables = [
            schedule.fullRoundConstants, schedule.partialRoundConstants, extendedRows, updates,
            schedule.partialRoundsExit, schedule.mds,
        ]
        var offsets: [Int] = []
        var total = 0
        for table in tables {
            offsets.append(total)
            total += table.count
        }
        storage = .allocate(capacity: total)
        for (table, offset) in zip(tables, offsets) {
            _ = UnsafeMutableBufferPointer(rebasing: storage[offset..<offset + table.count]).initialize(from: table)
        }
        (fullConstantsOffset, scalarsOffset, rowsOffset) = (offsets[0], offsets[1], offsets[2])
        (updatesOffset, exitOffset, mdsOffset) = (offsets[3], offsets[4], offsets[5])
    }

    deinit {
        storage.deallocate()
    }

    /// Permutes the state held in `workspace[0..<width]`; `workspace[width..<2·width]` is scratch.
    @inline(__always)
    func permute(_ workspace: UnsafeMutablePointer<Fr>) {
        guard let base = storage.baseAddress else { return }
        let t = width, window = self.window
        let state = workspace, scratch = workspace + t
        let halfFull = PoseidonParameters.fullRoundCount / 2
        let constants = base + fullConstantsOffset, mds = base + mdsOffset
        for round in 0..<halfFull {
            fullRound(state, constants: constants + round * t, mds: mds, scratch: scratch)
        }

        // Partial rounds. The x of the window's rounds so far sit in scratch[0..<i], right
        // after the state, so state[0..<t + i] lines up with the extended row's coefficients.
        let scalars = base + scalarsOffset, rows = base + rowsOffset
        var updates = base + updatesOffset
        var start = 0
        while start < partialRounds {
            let size = min(window, partialRounds - start)
            for i in 0..<size {
                let k = start + i
                let x = Self.sbox(state[0] + scalars[k])
                state[0] = x
                let first = FrSumOfProducts.sum(rows + k * (t + window - 1), state, count: t + i)
                scratch[i] = x
                state[0] = first
            }
            // Apply the window's deferred updates: sⱼ ← Σ_m col_m[j]·x_m + 1·sⱼ.
            for j in 1..<t {
                scratch[size] = state[j]
                state[j] = FrSumOfProducts.sum(updates, scratch, count: size + 1)
                updates += window + 1
            }
            start += size
        }

        let exit = base + exitOffset
        for i in 0..<(t - 1) {
            scratch[i] = FrSumOfProducts.sum(exit + i * (t - 1), state + 1, count: t - 1)
        }
        (state + 1).update(from: scratch, count: t - 1)
        for round in halfFull..<(2 * halfFull) {
            fullRound(state, constants: constants + round * t, mds: mds, scratch: scratch)
        }
    }

    /// Constants, S-box on every element, dense M.
    @inline(__always)
    private func fullRound(
        _ state: UnsafeMutablePointer<Fr>, constants: UnsafePointer<Fr>, mds: UnsafePointer<Fr>,
        scratch: UnsafeMutablePointer<Fr>
    ) {
        let t = width
        for i in 0..<t { state[i] = Self.sbox(state[i] + constants[i]) }
        for i in 0..<t { scratch[i] = FrSumOfProducts.sum(mds + i * t, state, count: t) }
        state.update(from: scratch, count: t)
    }

    /// x⁵.
    @inline(__always)
    private static func sbox(_ x: Fr) -> Fr {
        let square = x.square()
        return square.square() * x
    }
}
