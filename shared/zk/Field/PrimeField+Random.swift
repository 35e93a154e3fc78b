/// Uniform sampling.
extension PrimeField {
    /// A uniformly random element, by rejection sampling of `modulusBitWidth`-bit integers.
    public static func random(using generator: inout some RandomNumberGenerator) -> Self {
        let topBits = P.modulusBitWidth - 192
        let topMask: UInt64 = topBits >= 64 ? .max : (1 << UInt64(topBits)) - 1
        while true {
            let candidate = UInt256(
                generator.next(), generator.next(), generator.next(), generator.next() & topMask
            )
            if let element = Self(candidate) { return element }
        }
    }

    /// A uniformly random element from the system generator.
    public static func random() -> Self {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }
}
