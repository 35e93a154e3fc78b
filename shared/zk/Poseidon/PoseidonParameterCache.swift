import Synchronization

/// Everything the permutation needs for one width.
struct PoseidonInstance: Sendable {
    /// The plain constants and MDS matrix, as generated.
    let parameters: PoseidonParameters
    /// The equivalent fast schedule; nil only if its derivation failed (then the plain rounds are used).
    let schedule: PoseidonSchedule?
}

/// Process-wide cache of Poseidon instances: each width is generated once, on first use,
/// under a lock (generation takes milliseconds; lookups afterwards are cheap).
enum PoseidonParameterCache {
    private static let table = Mutex<[PoseidonInstance?]>(
        Array(repeating: nil, count: PoseidonParameters.supportedWidths.upperBound + 1)
    )

    /// The instance for `width`, or nil if the width is unsupported.
    static func instance(width: Int) -> PoseidonInstance? {
        guard PoseidonParameters.supportedWidths.contains(width) else { return nil }
        return table.withLock { table in
            if let cached = table[width] { return cached }
            guard let parameters = PoseidonParameters(generatingFor: width) else { return nil }
            let generated = PoseidonInstance(parameters: parameters, schedule: PoseidonSchedule(parameters))
            table[width] = generated
            return generated
        }
    }
}
