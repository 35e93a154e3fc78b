/// An equivalent, cheaper evaluation schedule for the Poseidon permutation (the idea behind
/// circomlib's "optimised" constants, derived here from the plain C and M).
///
/// Two rewrites, each exact:
/// 1. **Constants.** In a partial round only element 0 passes the S-box, so the constants of
///    elements 1…t−1 commute with it and are pushed forward through M into the next round;
///    each partial round then adds a single scalar, and the leftover lands in the first
///    closing full round.
/// 2. **Matrices.** Write M = [[m₀₀, vᵀ], [w, M̂]]. With B_k = M̂ᵏ, the k-th partial round's
///    effective matrix M·diag(1, B_{k−1}) factors as diag(1, B_k) · S_k, where
///    S_k = [[m₀₀, vᵀB_{k−1}], [B_k⁻¹w, I]] is sparse (≈2t products instead of t²).
///    diag(1, B_k) fixes element 0, so it commutes with the next round's S-box and scalar
///    constant and is carried along; it is applied once, densely, after the last partial round.
struct PoseidonSchedule: Sendable {
    let width: Int
    let partialRounds: Int
    /// Constants of the full rounds, `fullRounds · width`, in round order.
    let fullRoundConstants: [Fr]
    /// One scalar constant per partial round, added to element 0.
    let partialRoundConstants: [Fr]
    /// Per partial round, the sparse matrix's first row (m₀₀, vᵀB_{k−1}): `width` entries.
    let sparseFirstRows: [Fr]
    /// Per partial round, the sparse matrix's first column below the diagonal (B_k⁻¹w): `width − 1` entries.
    let sparseFirstColumns: [Fr]
    /// B_P = M̂ᴾ, (width − 1)² entries row-major, applied to elements 1…t−1 after the partial rounds.
    let partialRoundsExit: [Fr]
    /// M row-major, for the full rounds.
    let mds: [Fr]

    /// Derives the schedule; nil only if M̂ were singular (impossible for a Cauchy matrix).
    init?(_ parameters: PoseidonParameters) {
        let t = parameters.width
        let halfFull = parameters.fullRounds / 2
        let partialRounds = parameters.partialRounds
        let m = parameters.mds
        let roundConstant = { (round: Int) in
            Array(parameters.roundConstants[(round * t)..<((round + 1) * t)])
        }

        // 1. Constants.
        var fullConstants: [Fr] = (0..<halfFull).flatMap(roundConstant)
        var scalars: [Fr] = []
        var forwarded = [Fr](repeating: .zero, count: t)
        for round in halfFull..<(halfFull + partialRounds) {
            var combined = zip(roundConstant(round), forwarded).map { $0 + $1 }
            scalars.append(combined[0])
            combined[0] = .zero
            forwarded = FieldMatrix.apply(m, to: combined)
        }
        let closing = halfFull + partialRounds
        fullConstants += zip(roundConstant(closing), forwarded).map { $0 + $1 }
        fullConstants += (closing + 1..<(parameters.fullRounds + partialRounds)).flatMap(roundConstant)

        // 2. Matrices.
        let v = Array(m[0].dropFirst())
        let w = m.dropFirst().map { $0[0] }
        let mHat = m.dropFirst().map { Array($0.dropFirst()) }
        guard let mHatInverse = FieldMatrix.inverse(mHat) else { return nil }
        var rows: [Fr] = []
        var columns: [Fr] = []
        var rowTail = v          // vᵀB_{k−1}, starting with B₀ = I
        var columnTail = w       // B_k⁻¹w = M̂⁻¹ B_{k−1}⁻¹w
        for _ in 0..<partialRounds {
            columnTail = FieldMatrix.apply(mHatInverse, to: columnTail)
            rows += [m[0][0]] + rowTail
            columns += columnTail
            rowTail = FieldMatrix.apply(row: rowTail, to: mHat)
        }
        let exit = FieldMatrix.power(mHat, partialRounds)

        self.width = t
        self.partialRounds = partialRounds
        self.fullRoundConstants = fullConstants
        self.partialRoundConstants = scalars
        self.sparseFirstRows = rows
        self.sparseFirstColumns = columns
        self.partialRoundsExit = exit.flatMap { $0 }
        self.mds = m.flatMap { $0 }
    }
}
