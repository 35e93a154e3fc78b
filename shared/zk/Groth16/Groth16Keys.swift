/// A Groth16 proof: A ∈ G1, B ∈ G2, C ∈ G1 (256 bytes uncompressed, 128 compressed).
///
/// Proofs are re-randomisable (zk.md §8.8): never use their bytes as identifiers.
public struct Groth16Proof: Hashable, Sendable {
    /// π_A.
    public let a: G1Affine
    /// π_B.
    public let b: G2Affine
    /// π_C.
    public let c: G1Affine

    /// Wraps three points; validating parsers (`AffinePoint.init(x:y:)`) have checked them.
    public init(a: G1Affine, b: G2Affine, c: G1Affine) {
        self.a = a
        self.b = b
        self.c = c
    }
}

/// Where a key pair came from. A development setup is derived from a public seed, so anyone
/// who knows the seed can forge proofs: it is labelled and refused in production.
public enum Groth16KeyOrigin: Hashable, Sendable {
    /// Single-party setup from a public seed: "INSECURE – development only".
    case development(seed: String)
    /// Keys loaded from files, e.g. the output of a multi-party ceremony.
    case imported
}

/// The verifying key: ([α]₁, [β]₂, [γ]₂, [δ]₂, IC) with IC[j] = [(β·Aⱼ(τ) + α·Bⱼ(τ) + Cⱼ(τ))/γ]₁
/// for the constant wire and every public input.
public struct Groth16VerifyingKey: Hashable, Sendable {
    /// [α]₁.
    public let alpha: G1Affine
    /// [β]₂.
    public let beta: G2Affine
    /// [γ]₂.
    public let gamma: G2Affine
    /// [δ]₂.
    public let delta: G2Affine
    /// One point per public input plus one for the constant wire.
    public let ic: [G1Affine]
    /// Development (seeded) or imported.
    public let origin: Groth16KeyOrigin

    /// Assembles a key; `Groth16VerifyingKey.validated` is the check for untrusted input.
    public init(alpha: G1Affine, beta: G2Affine, gamma: G2Affine, delta: G2Affine, ic: [G1Affine], origin: Groth16KeyOrigin) {
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.delta = delta
        self.ic = ic
        self.origin = origin
    }

    /// Number of public inputs the key verifies (IC has one more point).
    public var publicInputCount: Int { ic.count - 1 }

    /// Whether this key comes from a seeded single-party setup.
    public var isDevelopment: Bool {
        if case .development = origin { return true }
        return false
    }

    /// Throws unless the key can be trusted structurally: at least the constant IC point, and
    /// γ ≠ δ (a key without a phase-2 contribution lets anyone forge proofs, zk.md §6).
    public func validated() throws(Groth16Error) -> Groth16VerifyingKey {
        guard !ic.isEmpty else { throw .malformedKey("IC must hold at least one point") }
        guard gamma != delta else { throw .gammaEqualsDelta }
        return self
    }
}

/// The proving key of one circuit, with the verifying key it belongs to.
///
/// Query vectors are indexed by flat variable (`[1, public…, witness…]`) except `h`
/// (powers of τ times Z(τ)/δ) and `l` (private variables only).
public struct Groth16ProvingKey: Sendable {
    /// The matching verifying key.
    public let verifyingKey: Groth16VerifyingKey
    /// [β]₁ (for the G1 copy of B used in C).
    public let betaG1: G1Affine
    /// [δ]₁.
    public let deltaG1: G1Affine
    /// [Aⱼ(τ)]₁ per variable.
    public let a: [G1Affine]
    /// [Bⱼ(τ)]₁ per variable.
    public let bG1: [G1Affine]
    /// [Bⱼ(τ)]₂ per variable.
    public let bG2: [G2Affine]
    /// [τⁱ·Z(τ)/δ]₁ for i < n − 1.
    public let h: [G1Affine]
    /// [(β·Aⱼ(τ) + α·Bⱼ(τ) + Cⱼ(τ))/δ]₁ per private variable.
    public let l: [G1Affine]
    /// The circuit shape the key was made for; proving checks it.
    public let shape: R1CSShape

    /// Assembles a key (from setup or a key file).
    public init(
        verifyingKey: Groth16VerifyingKey, betaG1: G1Affine, deltaG1: G1Affine,
        a: [G1Affine], bG1: [G1Affine], bG2: [G2Affine], h: [G1Affine], l: [G1Affine], shape: R1CSShape
    ) {
        self.verifyingKey = verifyingKey
        self.betaG1 = betaG1
        self.deltaG1 = deltaG1
        self.a = a
        self.bG1 = bG1
        self.bG2 = bG2
        self.h = h
        self.l = l
        self.shape = shape
    }
}

/// The sizes that tie a key to a circuit: a different circuit needs a different key.
public struct R1CSShape: Hashable, Sendable, CustomStringConvertible {
    /// Number of constraints.
    public let constraintCount: Int
    /// Number of public inputs (without the constant wire).
    public let publicInputCount: Int
    /// Number of private witnesses.
    public let witnessCount: Int

    /// Creates a shape.
    public init(constraintCount: Int, publicInputCount: Int, witnessCount: Int) {
        self.constraintCount = constraintCount
        self.publicInputCount = publicInputCount
        self.witnessCount = witnessCount
    }

    /// The shape of a synthesised system.
    public init(_ system: ConstraintSystem) {
        self.init(
            constraintCount: system.constraintCount,
            publicInputCount: system.publicInputCount,
            witnessCount: system.witnessCount
        )
    }

    /// Variables including the constant wire.
    public var variableCount: Int { 1 + publicInputCount + witnessCount }

    /// The QAP domain size: the next power of two ≥ constraints + public inputs + 1, because
    /// each input (and the constant) gets its own row to keep the input polynomials independent.
    public var domainSize: Int {
        var size = 1
        while size < constraintCount + publicInputCount + 1 { size <<= 1 }
        return size
    }

    public var description: String {
        "\(constraintCount) constraints, \(publicInputCount) public inputs, \(witnessCount) witnesses"
    }
}

/// Why a Groth16 operation refused its input.
public enum Groth16Error: Error, Equatable, Sendable {
    /// The number of public inputs does not match the key.
    case publicInputCount(expected: Int, actual: Int)
    /// A public input is not a canonical field element (≥ r): aliasing would let one proof
    /// verify for two statements (zk.md §8.4).
    case publicInputOutOfRange(index: Int)
    /// A key has γ = δ: no phase-2 contribution, proofs are forgeable.
    case gammaEqualsDelta
    /// A key is structurally wrong (message says how).
    case malformedKey(String)
    /// The key was made for a circuit of another shape.
    case shapeMismatch(key: R1CSShape, circuit: R1CSShape)
    /// The witness violates a constraint (index given); no proof is produced for a false statement.
    case unsatisfied(constraint: Int)
    /// The circuit needs a domain larger than 2²⁸.
    case circuitTooLarge(constraints: Int)
    /// A development key was offered where production keys are required.
    case developmentKeyRefused
}
