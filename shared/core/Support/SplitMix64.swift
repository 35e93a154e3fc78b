/// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator with a fixed, well-known output
/// sequence. Used wherever bytes must be pseudo-random yet reproducible forever: the FastCDC
/// Gear table (so every chunk boundary is stable), benchmark inputs and test data.
/// Not for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }

    /// Fills `buffer` with the next outputs (little-endian), 8 bytes at a time.
    public mutating func fill(_ buffer: inout [UInt8]) {
        var offset = 0
        while offset < buffer.count {
            var word = next()
            let n = Swift.min(8, buffer.count - offset)
            for i in 0..<n {
                buffer[offset + i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
            }
            offset += n
        }
    }

    /// `count` bytes of the sequence.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        fill(&buffer)
        return buffer
    }
}
