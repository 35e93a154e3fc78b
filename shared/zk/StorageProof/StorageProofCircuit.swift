/// What key generation, proving and verification need from a storage-proof circuit, so the
/// Groth16 code can treat the single and batch circuits alike.
///
/// Circuits are data-independent: `synthesize` records the same constraints for every witness
/// of the right shape, so the keys come from synthesising `setupWitness`, and a proof
/// comes from synthesising the real witness and taking `ConstraintSystem.assignment`
/// (`[1, public inputs…, witnesses…]`, public inputs in the documented order).
public protocol StorageProofCircuit: Sendable {
    /// The private input (and the root, which is also public).
    associatedtype Witness: Sendable

    /// Number of public inputs (excluding the constant wire).
    var publicInputCount: Int { get }
    /// Exact number of constraints `synthesize` records.
    var constraintCount: Int { get }
    /// A witness of the right shape with arbitrary (zero) values, for key generation.
    var setupWitness: Witness { get }
    /// Builds the constraint system and fills its assignment from `witness`. Throws only for a
    /// witness of the wrong shape; a dishonest witness yields an unsatisfied system
    /// (`ConstraintSystem.isSatisfied()`), which the prover should check before proving.
    func synthesize(_ witness: Witness) throws(StorageProofError) -> ConstraintSystem
}

extension StorageProofCircuit {
    /// The system for key generation (same constraints as any real witness's).
    public func synthesizeForSetup() throws(StorageProofError) -> ConstraintSystem {
        try synthesize(setupWitness)
    }

    /// The Groth16 evaluation-domain size: the next power of two ≥ constraints + public inputs + 1
    /// (zk.md §8.7).
    public var domainSize: Int {
        let needed = constraintCount + publicInputCount + 1
        var size = 1
        while size < needed { size <<= 1 }
        return size
    }
}
