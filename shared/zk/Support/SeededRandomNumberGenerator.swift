import Crypto

/// A deterministic generator: SHA-256(domain ‖ seed ‖ counter) in counter mode.
///
/// Used only where reproducibility is the point — the development key setup, which must give
/// every prover instance and every CI run the same keys from a public seed. It is therefore
/// *not* a secret source: anything derived from it is public. Proof randomness uses
/// `SystemRandomNumberGenerator`.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private let seed: [UInt8]
    private var counter: UInt64 = 0
    private var buffer: [UInt64] = []

    /// A generator for `seed` in the namespace `domain` (different domains never collide).
    public init(seed: String, domain: String) {
        self.seed = Array(domain.utf8) + [0] + Array(seed.utf8)
    }

    public mutating func next() -> UInt64 {
        if buffer.isEmpty {
            var hasher = SHA256()
            hasher.update(data: seed)
            withUnsafeBytes(of: counter.bigEndian) { hasher.update(bufferPointer: $0) }
            counter += 1
            let digest = Array(hasher.finalize())
            buffer = (0..<4).reversed().map { word in
                digest[(word * 8)..<(word * 8 + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            }
        }
        return buffer.removeLast()
    }
}
