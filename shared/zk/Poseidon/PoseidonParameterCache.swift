import Synchronization

/// Process-wide cache of generated Poseidon parameters: each width is generated once, on
/// first use, under a lock (generation takes milliseconds; lookups afterwards are cheap).
enum PoseidonParameterCache {
    private static let table = Mutex<[PoseidonParameters?]>(
        Array(repeating: nil, count: PoseidonParameters.supportedWidths.upperBound + 1)
    )

    /// The parameters for `width`, or nil if the width is unsupported.
    static func parameters(width: Int) -> PoseidonParameters? {
        guard PoseidonParameters.supportedWidths.contains(width) else { return nil }
        return table.withLock { table in
            if let cached = table[width] { return cached }
            let generated = PoseidonParameters(generatingFor: width)
            table[width] = generated
            return generated
        }
    }
}
