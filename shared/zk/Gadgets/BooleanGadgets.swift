/// Bits in R1CS: booleanity and bit decomposition (circomlib's Num2Bits).
extension ConstraintSystem {
    /// Constrains `bit` to 0 or 1 with bit·(1 − bit) = 0 (one constraint).
    public mutating func assertBoolean(_ bit: LinearCombination) {
        enforce(bit, .one - bit, .zero)
    }

    /// Decomposes `value` into `count` little-endian bits: allocates each bit as a witness,
    /// constrains it boolean and constrains Σ 2ⁱ·bitᵢ = value (`count` + 1 constraints).
    ///
    /// The system is unsatisfiable unless value < 2^count. Keep `count` ≤ 253 so that the
    /// decomposition is unique (2²⁵³ < r); wider decompositions need a strict range check
    /// against r, which this gadget does not add.
    ///
    /// - Precondition: `count` is in 1 … 254.
    public mutating func bits(of value: LinearCombination, count: Int) -> [Variable] {
        precondition((1...254).contains(count), "Num2Bits takes 1 ... 254 bits")
        let standard = self.value(of: value).standardValue
        var recomposed = LinearCombination()
        var weight = Fr.one
        var bits: [Variable] = []
        bits.reserveCapacity(count)
        for index in 0..<count {
            let bit = witness(standard.bit(index) ? .one : .zero)
            assertBoolean(LinearCombination(bit))
            recomposed.add(LinearCombination(bit), times: weight)
            weight = weight.doubled()
            bits.append(bit)
        }
        enforce(recomposed, .one, value)
        return bits
    }
}
