/// The two implementations of the permutation: the textbook rounds (the specification) and
/// the optimised schedule used in practice. Tests check that they agree.
extension Poseidon {
    /// The permutation exactly as specified: every round adds t constants, applies the
    /// S-box (all elements in full rounds, element 0 in partial rounds) and multiplies by M.
    static func permuteReference(_ state: inout [Fr], with parameters: PoseidonParameters) {
        let width = parameters.width
        precondition(state.count == width, "state width does not match the parameters")
        let firstPartial = parameters.fullRounds / 2
        let firstClosingFull = firstPartial + parameters.partialRounds
        for round in 0..<(parameters.fullRounds + parameters.partialRounds) {
            for i in 0..<width { state[i] += parameters.roundConstants[round * width + i] }
            if round < firstPartial || round >= firstClosingFull {
                for i in 0..<width { state[i] = sbox(state[i]) }
            } else {
                state[0] = sbox(state[0])
            }
            state = parameters.mds.map { row in
                zip(row, state).reduce(Fr.zero) { $0 + $1.0 * $1.1 }
            }
        }
    }

    /// The permutation through the optimised schedule (see `PoseidonSchedule`).
    static func permute(_ state: inout [Fr], with schedule: PoseidonSchedule) {
        let width = schedule.width
        precondition(state.count == width, "state width does not match the schedule")
        let halfFull = PoseidonParameters.fullRoundCount / 2
        schedule.fullRoundConstants.withUnsafeBufferPointer { constants in
            schedule.mds.withUnsafeBufferPointer { mds in
                state.withUnsafeMutableBufferPointer { state in
                    withUnsafeTemporaryAllocation(of: Fr.self, capacity: width) { scratch in
                        for round in 0..<halfFull {
                            fullRound(state, constants: constants, round: round, mds: mds, scratch: scratch)
                        }
                        partialRounds(state, schedule: schedule, scratch: scratch)
                        for round in halfFull..<(2 * halfFull) {
                            fullRound(state, constants: constants, round: round, mds: mds, scratch: scratch)
                        }
                    }
                }
            }
        }
    }

    /// Adds constants, applies the S-box to every element, then multiplies by the dense M.
    @inline(__always)
    private static func fullRound(
        _ state: UnsafeMutableBufferPointer<Fr>, constants: UnsafeBufferPointer<Fr>, round: Int,
        mds: UnsafeBufferPointer<Fr>, scratch: UnsafeMutableBufferPointer<Fr>
    ) {
        let width = state.count
        let offset = round * width
        for i in 0..<width { state[i] = sbox(state[i] + constants[offset + i]) }
        multiply(state, by: mds, scratch: scratch)
    }

    /// All partial rounds: scalar constant and S-box on element 0, sparse matrix, then the
    /// carried dense block applied once.
    private static func partialRounds(
        _ state: UnsafeMutableBufferPointer<Fr>, schedule: PoseidonSchedule,
        scratch: UnsafeMutableBufferPointer<Fr>
    ) {
        let width = state.count
        schedule.partialRoundConstants.withUnsafeBufferPointer { scalars in
            schedule.sparseFirstRows.withUnsafeBufferPointer { rows in
                schedule.sparseFirstColumns.withUnsafeBufferPointer { columns in
                    for round in 0..<schedule.partialRounds {
                        let x0 = sbox(state[0] + scalars[round])
                        let row = round * width, column = round * (width - 1)
                        var first = rows[row] * x0
                        for j in 1..<width {
                            first += rows[row + j] * state[j]
                            state[j] += columns[column + j - 1] * x0
                        }
                        state[0] = first
                    }
                }
            }
        }
        schedule.partialRoundsExit.withUnsafeBufferPointer { exit in
            let rest = UnsafeMutableBufferPointer(rebasing: state[1...])
            let restScratch = UnsafeMutableBufferPointer(rebasing: scratch[..<(width - 1)])
            multiply(rest, by: exit, scratch: restScratch)
        }
    }

    /// `vector ← matrix · vector` for a square row-major matrix; `scratch` holds the result meanwhile.
    @inline(__always)
    private static func multiply(
        _ vector: UnsafeMutableBufferPointer<Fr>, by matrix: UnsafeBufferPointer<Fr>,
        scratch: UnsafeMutableBufferPointer<Fr>
    ) {
        let n = vector.count
        for i in 0..<n {
            let row = i * n
            var sum = Fr.zero
            for j in 0..<n { sum += matrix[row + j] * vector[j] }
            scratch[i] = sum
        }
        for i in 0..<n { vector[i] = scratch[i] }
    }
}
