/// The self-shrinking Grain LFSR that Poseidon's reference script
/// (`generate_parameters_grain.sage`) uses to derive round constants and MDS matrices.
///
/// Bit k of `state` is the k-th oldest bit of the 80-bit register, so the feedback taps
/// b₀, b₁₃, b₂₃, b₃₈, b₅₁, b₆₂ are plain shifts.
struct GrainLFSR {
    private var state: UInt128

    /// Initialises the register from the Poseidon instance description and discards 160 bits.
    ///
    /// Layout, most significant field first: field flag (2 bits, 1 = prime field),
    /// S-box flag (4 bits, 0 = x^α), field bits n (12), width t (12), R_F (10), R_P (10),
    /// then thirty 1-bits.
    init(fieldBits: Int, width: Int, fullRounds: Int, partialRounds: Int) {
        let fields: [(value: Int, bits: Int)] = [
            (1, 2), (0, 4), (fieldBits, 12), (width, 12), (fullRounds, 10), (partialRounds, 10),
            ((1 << 30) - 1, 30),
        ]
        var state: UInt128 = 0
        var position: UInt128 = 0
        for field in fields {
            for shift in stride(from: field.bits - 1, through: 0, by: -1) {
                state |= UInt128((field.value >> shift) & 1) << position
                position += 1
            }
        }
        self.state = state
        for _ in 0..<160 { _ = clock() }
    }

    /// Advances the register one step and returns the new bit.
    private mutating func clock() -> UInt128 {
        let s = state
        let bit = (s >> 62 ^ s >> 51 ^ s >> 38 ^ s >> 23 ^ s >> 13 ^ s) & 1
        state = (s >> 1) | (bit << 79)
        return bit
    }

    /// The next self-shrunk output bit: pairs (1, b) emit b, pairs (0, _) emit nothing.
    mutating func nextBit() -> Bool {
        while true {
            let selector = clock()
            let candidate = clock()
            if selector == 1 { return candidate == 1 }
        }
    }

    /// The next `count` (≤ 256) output bits read as an integer, most significant bit first.
    mutating func nextInteger(bits count: Int) -> UInt256 {
        var words: [UInt64] = [0, 0, 0, 0]
        for position in stride(from: count - 1, through: 0, by: -1) where nextBit() {
            words[position >> 6] |= 1 << UInt64(position & 63)
        }
        return UInt256(words[0], words[1], words[2], words[3])
    }
}
