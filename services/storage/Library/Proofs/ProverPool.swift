import PakitHTTPClient

/// The configured prover instances, balanced by least outstanding requests with a growing
/// back-off for an instance that failed: the runtime's `InstancePool` on the real clock. A
/// prover works on one proof at a time with both cores, so one slot per instance is the default;
/// more would only queue there.
typealias ProverPool = InstancePool<ContinuousClock>

extension InstancePool {
    /// The job runner's name for `slotsPerInstance`.
    nonisolated var slotsPerProver: Int { slotsPerInstance }
}
