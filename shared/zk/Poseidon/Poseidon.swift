/// Errors from the Poseidon API.
public enum PoseidonError: Error, Equatable, Sendable {
    /// `hash` takes 1 … 16 inputs.
    case unsupportedInputCount(Int)
    /// Widths 2 … 17 are supported.
    case unsupportedWidth(Int)
}

/// The Poseidon hash over BN254 Fr, bit-compatible with circomlib (`poseidon.circom`) and
/// circomlibjs: x⁵ S-box, 8 full rounds, width-dependent partial rounds, state `[0, inputs…]`.
public enum Poseidon {
    /// Hashes 1 … 16 field elements: permutes `[0, inputs…]` and returns the first element.
    public static func hash(_ inputs: [Fr]) throws(PoseidonError) -> Fr {
        guard (1...16).contains(inputs.count) else { throw .unsupportedInputCount(inputs.count) }
        var state = [Fr.zero] + inputs
        permute(&state)
        return state[0]
    }

    /// The generated constants and MDS matrix for a state width of 2 … 17.
    public static func parameters(width: Int) throws(PoseidonError) -> PoseidonParameters {
        guard let parameters = PoseidonParameterCache.parameters(width: width) else {
            throw .unsupportedWidth(width)
        }
        return parameters
    }

    /// Applies the Poseidon permutation in place.
    ///
    /// - Precondition: `state.count` is 2 … 17 (a programming error otherwise, like an out-of-range index).
    public static func permute(_ state: inout [Fr]) {
        guard let parameters = PoseidonParameterCache.parameters(width: state.count) else {
            preconditionFailure("Poseidon width \(state.count) is not in 2...17")
        }
        permute(&state, with: parameters)
    }

    /// The permutation with explicit parameters (whose width must equal `state.count`).
    static func permute(_ state: inout [Fr], with parameters: PoseidonParameters) {
        let width = parameters.width
        precondition(state.count == width, "state width does not match the parameters")
        let halfFull = parameters.fullRounds / 2
        let firstPartial = halfFull
        let firstClosingFull = halfFull + parameters.partialRounds
        let rounds = parameters.fullRounds + parameters.partialRounds

        parameters.roundConstants.withUnsafeBufferPointer { constants in
            parameters.mdsFlat.withUnsafeBufferPointer { mds in
                state.withUnsafeMutableBufferPointer { state in
                    withUnsafeTemporaryAllocation(of: Fr.self, capacity: width) { mixed in
                        for round in 0..<rounds {
                            let offset = round * width
                            for i in 0..<width { state[i] += constants[offset + i] }
                            if round < firstPartial || round >= firstClosingFull {
                                for i in 0..<width { state[i] = sbox(state[i]) }
                            } else {
                                state[0] = sbox(state[0])
                            }
                            // Linear layer: mixed = M · state.
                            for i in 0..<width {
                                let row = i * width
                                var sum = Fr.zero
                                for j in 0..<width { sum += mds[row + j] * state[j] }
                                mixed.initializeElement(at: i, to: sum)
                            }
                            for i in 0..<width { state[i] = mixed.moveElement(from: i) }
                        }
                    }
                }
            }
        }
    }

    /// x⁵, the S-box (a permutation of Fr since gcd(5, r − 1) = 1).
    @inline(__always)
    static func sbox(_ x: Fr) -> Fr {
        let x2 = x.square()
        return x2.square() * x
    }
}
