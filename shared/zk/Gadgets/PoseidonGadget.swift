/// circomlib-compatible Poseidon as an R1CS gadget: the same permutation as `Poseidon.hash`,
/// with every linear layer folded into linear combinations, so only S-boxes cost constraints
/// (3 each): 3·(8t + R_P) − 3 for t = inputs + 1, minus 3 per constant input.
extension ConstraintSystem {
    /// Constrains and returns Poseidon(inputs) for 1 … 16 inputs; equals `Poseidon.hash` on
    /// the inputs' values. The result is a linear combination (no constraint of its own).
    public mutating func poseidonHash(_ inputs: [LinearCombination]) throws(PoseidonError) -> LinearCombination {
        guard (1...16).contains(inputs.count) else { throw .unsupportedInputCount(inputs.count) }
        return try poseidonPermutation([.zero] + inputs)[0]
    }

    /// Constrains and returns Poseidon(inputs) for 1 … 16 variables.
    public mutating func poseidonHash(_ inputs: [Variable]) throws(PoseidonError) -> LinearCombination {
        try poseidonHash(inputs.map { LinearCombination($0) })
    }

    /// The Poseidon permutation of a state of width 2 … 17, as linear combinations.
    public mutating func poseidonPermutation(_ state: [LinearCombination]) throws(PoseidonError) -> [LinearCombination] {
        guard let instance = PoseidonParameterCache.instance(width: state.count) else {
            throw .unsupportedWidth(state.count)
        }
        var state = state
        if let schedule = instance.schedule {
            permute(&state, schedule: schedule)
        } else {
            permuteReference(&state, parameters: instance.parameters)
        }
        return state
    }

    /// The constraint count of `poseidonHash` with `inputCount` non-constant inputs:
    /// 3·(8t + R_P) − 3 (e.g. 240 for 2 inputs, 609 for 16).
    public static func poseidonConstraintCount(inputCount: Int) throws(PoseidonError) -> Int {
        let parameters = try Poseidon.parameters(width: inputCount + 1)
        let sboxes = parameters.fullRounds * parameters.width + parameters.partialRounds
        return 3 * sboxes - 3
    }

    // MARK: Rounds

    /// The optimised schedule (sparse partial rounds; see `PoseidonSchedule`). Fewer and
    /// shorter linear-combination operations than the textbook rounds, same constraints.
    mutating func permute(_ state: inout [LinearCombination], schedule: PoseidonSchedule) {
        let width = schedule.width
        let halfFull = PoseidonParameters.fullRoundCount / 2
        let mds = schedule.mds
        for round in 0..<halfFull {
            fullRound(&state, constants: schedule.fullRoundConstants, round: round, mds: mds)
        }
        for round in 0..<schedule.partialRounds {
            let x0 = fifthPower(state[0] + schedule.partialRoundConstants[round])
            let row = round * width, column = round * (width - 1)
            var first = x0 * schedule.sparseFirstRows[row]
            for j in 1..<width {
                first.add(state[j], times: schedule.sparseFirstRows[row + j])
                state[j].add(x0, times: schedule.sparseFirstColumns[column + j - 1])
            }
            state[0] = first
        }
        let rest = Self.multiply(schedule.partialRoundsExit, Array(state[1...]))
        state.replaceSubrange(1..., with: rest)
        for round in halfFull..<(2 * halfFull) {
            fullRound(&state, constants: schedule.fullRoundConstants, round: round, mds: mds)
        }
    }

    /// The textbook rounds with the plain constants and dense M (fallback and cross-check).
    mutating func permuteReference(_ state: inout [LinearCombination], parameters: PoseidonParameters) {
        let width = parameters.width
        let mds = parameters.mds.flatMap { $0 }
        let firstPartial = parameters.fullRounds / 2
        let firstClosingFull = firstPartial + parameters.partialRounds
        for round in 0..<(parameters.fullRounds + parameters.partialRounds) {
            if round < firstPartial || round >= firstClosingFull {
                fullRound(&state, constants: parameters.roundConstants, round: round, mds: mds)
            } else {
                for i in 0..<width { state[i] = state[i] + parameters.roundConstants[round * width + i] }
                state[0] = fifthPower(state[0])
                state = Self.multiply(mds, state)
            }
        }
    }

    /// Adds the round's constants, applies x⁵ to every element, multiplies by the dense M.
    private mutating func fullRound(
        _ state: inout [LinearCombination], constants: [Fr], round: Int, mds: [Fr]
    ) {
        let width = state.count
        for i in 0..<width { state[i] = fifthPower(state[i] + constants[round * width + i]) }
        state = Self.multiply(mds, state)
    }

    /// `matrix · vector` for a square row-major matrix of constants: free in R1CS.
    private static func multiply(_ matrix: [Fr], _ vector: [LinearCombination]) -> [LinearCombination] {
        let n = vector.count
        return (0..<n).map { i in
            var sum = LinearCombination()
            for j in 0..<n { sum.add(vector[j], times: matrix[i * n + j]) }
            return sum
        }
    }
}
