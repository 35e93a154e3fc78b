import PakitCore

/// Deterministic pseudo-random bytes (SplitMix64), so failures reproduce.
public func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SplitMix64(seed: seed)
    return generator.bytes(count)
}

/// The test files of the reference vectors: byte k = k mod 251.
public func patternBytes(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8($0 % 251) }
}
