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
        guard let instance = PoseidonParameterCache.instance(width: width) else {
            throw .unsupportedWidth(width)
        }
        return instance.parameters
    }

    /// Applies the Poseidon permutation in place.
    ///
    /// - Precondition: `state.count` is 2 … 17 (a programming error otherwise, like an out-of-range index).
    public static func permute(_ state: inout [Fr]) {
        guard let instance = PoseidonParameterCache.instance(width: state.count) else {
            preconditionFailure("Poseidon width \(state.count) is not in 2...17")
        }
        if let schedule = instance.schedule {
            permute(&state, with: schedule)
        } else {
            permuteReference(&state, with: instance.parameters)
        }
    }

    /// x⁵, the S-box (a permutation of Fr since gcd(5, r − 1) = 1).
    @inline(__always)
    static func sbox(_ x: Fr) -> Fr {
        x.square().square() * x
    }
}
