/// Zero-knowledge storage proofs: the prover service's v1 API, storage's commitment and proof
/// API, and the snarkjs JSON shapes both use. Field elements travel as decimal strings of the
/// standard value (the snarkjs/circom convention); byte strings as lowercase hex.

// MARK: - snarkjs JSON (zk.md §5.1)

/// snarkjs `proof.json`: affine points with an explicit z ("1"; ["1", "0"] for G2).
public struct SnarkjsProof: Codable, Sendable, Equatable {
    /// [x, y, "1"].
    public var piA: [String]
    /// [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]].
    public var piB: [[String]]
    /// [x, y, "1"].
    public var piC: [String]
    /// "groth16".
    public var `protocol`: String
    /// "bn128".
    public var curve: String

    enum CodingKeys: String, CodingKey {
        case piA = "pi_a", piB = "pi_b", piC = "pi_c", `protocol`, curve
    }

    public init(piA: [String], piB: [[String]], piC: [String], protocol: String = "groth16", curve: String = "bn128") {
        self.piA = piA
        self.piB = piB
        self.piC = piC
        self.protocol = `protocol`
        self.curve = curve
    }
}

/// snarkjs `verification_key.json`. `pakitSetup` is Pakit's own label ("INSECURE – development
/// only …" for seeded keys); snarkjs and other readers ignore it.
public struct SnarkjsVerifyingKey: Codable, Sendable, Equatable {
    public var `protocol`: String
    public var curve: String
    public var nPublic: Int
    public var vkAlpha1: [String]
    public var vkBeta2: [[String]]
    public var vkGamma2: [[String]]
    public var vkDelta2: [[String]]
    /// e(α, β), optional in snarkjs; verifiers here recompute it.
    public var vkAlphabeta12: [[[String]]]?
    /// One G1 point per public input plus one.
    public var ic: [[String]]
    public var pakitSetup: String?

    enum CodingKeys: String, CodingKey {
        case `protocol`, curve, nPublic
        case vkAlpha1 = "vk_alpha_1", vkBeta2 = "vk_beta_2", vkGamma2 = "vk_gamma_2", vkDelta2 = "vk_delta_2"
        case vkAlphabeta12 = "vk_alphabeta_12", ic = "IC", pakitSetup = "pakit_setup"
    }

    public init(
        protocol: String = "groth16", curve: String = "bn128", nPublic: Int,
        vkAlpha1: [String], vkBeta2: [[String]], vkGamma2: [[String]], vkDelta2: [[String]],
        vkAlphabeta12: [[[String]]]? = nil, ic: [[String]], pakitSetup: String? = nil
    ) {
        self.protocol = `protocol`
        self.curve = curve
        self.nPublic = nPublic
        self.vkAlpha1 = vkAlpha1
        self.vkBeta2 = vkBeta2
        self.vkGamma2 = vkGamma2
        self.vkDelta2 = vkDelta2
        self.vkAlphabeta12 = vkAlphabeta12
        self.ic = ic
        self.pakitSetup = pakitSetup
    }
}

// MARK: - Prover service (`pakit-prover`)

/// `GET /v1/circuits` entry and part of `GET /v1/keys/{circuit}`.
public struct CircuitInfo: Codable, Sendable, Equatable {
    /// `storage-single` or `storage-batch-<n>`.
    public var circuit: String
    public var constraints: Int
    public var publicInputs: Int
    /// Chunk openings one proof takes (1 for single).
    public var openings: Int
    /// True for a seeded development setup ("INSECURE – development only").
    public var development: Bool

    public init(circuit: String, constraints: Int, publicInputs: Int, openings: Int, development: Bool) {
        self.circuit = circuit
        self.constraints = constraints
        self.publicInputs = publicInputs
        self.openings = openings
        self.development = development
    }
}

public struct CircuitList: Codable, Sendable, Equatable {
    public var circuits: [CircuitInfo]
    public init(circuits: [CircuitInfo]) { self.circuits = circuits }
}

/// `GET /v1/keys/{circuit}`.
public struct VerifyingKeyResponse: Codable, Sendable, Equatable {
    public var circuit: CircuitInfo
    public var verifyingKey: SnarkjsVerifyingKey
    /// Hex SHA-256 of the key's canonical binary encoding (IC and points, uncompressed):
    /// publish it so anyone can check which key a proof was verified against.
    public var sha256: String

    public init(circuit: CircuitInfo, verifyingKey: SnarkjsVerifyingKey, sha256: String) {
        self.circuit = circuit
        self.verifyingKey = verifyingKey
        self.sha256 = sha256
    }
}

/// `POST /v1/seal?format=summary` (the default response is the binary commitment tree, with
/// the same values in `Pakit-Commitment-*` headers).
public struct SealSummary: Codable, Sendable, Equatable {
    /// Poseidon commitment root R (decimal).
    public var root: String
    public var chunkCount: UInt64
    public var byteCount: UInt64
    public var treeDepth: Int

    public init(root: String, chunkCount: UInt64, byteCount: UInt64, treeDepth: Int) {
        self.root = root
        self.chunkCount = chunkCount
        self.byteCount = byteCount
        self.treeDepth = treeDepth
    }
}

/// One challenged chunk with its authentication path.
public struct ChunkOpeningBody: Codable, Sendable, Equatable {
    /// Global chunk index i.
    public var index: UInt64
    /// The chunk's bytes (≤ 496; a short final chunk is zero-padded), hex.
    public var chunk: String
    /// Per tree level (leaf upward), the 3 sibling nodes (decimal).
    public var siblings: [[String]]

    public init(index: UInt64, chunk: String, siblings: [[String]]) {
        self.index = index
        self.chunk = chunk
        self.siblings = siblings
    }
}

/// `POST /v1/prove`.
public struct ProveRequest: Codable, Sendable, Equatable {
    public var circuit: String
    /// Commitment root R (decimal).
    public var root: String
    /// 1 opening for `storage-single`, n for `storage-batch-<n>`.
    public var openings: [ChunkOpeningBody]

    public init(circuit: String, root: String, openings: [ChunkOpeningBody]) {
        self.circuit = circuit
        self.root = root
        self.openings = openings
    }
}

/// A proof in all exported forms.
public struct ProofBundle: Codable, Sendable, Equatable {
    public var circuit: String
    /// snarkjs `proof.json`.
    public var proof: SnarkjsProof
    /// snarkjs `public.json`: public inputs, decimal.
    public var publicSignals: [String]
    /// 256-byte EIP-197 encoding (A, B with imaginary parts first, C), hex.
    public var proofHex: String
    /// 128-byte compressed encoding, hex.
    public var compressedHex: String
    /// SHA-256 of the verifying key (as in `VerifyingKeyResponse`).
    public var verifyingKeySha256: String

    public init(circuit: String, proof: SnarkjsProof, publicSignals: [String], proofHex: String, compressedHex: String, verifyingKeySha256: String) {
        self.circuit = circuit
        self.proof = proof
        self.publicSignals = publicSignals
        self.proofHex = proofHex
        self.compressedHex = compressedHex
        self.verifyingKeySha256 = verifyingKeySha256
    }
}

/// `POST /v1/prove` → 200.
public struct ProveResponse: Codable, Sendable, Equatable {
    public var bundle: ProofBundle
    /// Wall time spent proving on the instance (witness + Groth16), milliseconds.
    public var provingMilliseconds: Double
    /// Which instance proved it (its node-local name), for operators.
    public var instance: String

    public init(bundle: ProofBundle, provingMilliseconds: Double, instance: String) {
        self.bundle = bundle
        self.provingMilliseconds = provingMilliseconds
        self.instance = instance
    }
}

/// `POST /v1/verify` (prover) and `POST /v1/proofs/verify` (storage). Give the proof as snarkjs
/// JSON or as EIP-197 / compressed hex, and either a circuit name (its published key) or a key.
public struct VerifyRequest: Codable, Sendable, Equatable {
    public var circuit: String?
    public var verifyingKey: SnarkjsVerifyingKey?
    public var proof: SnarkjsProof?
    /// 256-byte EIP-197 or 128-byte compressed proof, hex.
    public var proofHex: String?
    public var publicSignals: [String]

    public init(circuit: String? = nil, verifyingKey: SnarkjsVerifyingKey? = nil, proof: SnarkjsProof? = nil, proofHex: String? = nil, publicSignals: [String]) {
        self.circuit = circuit
        self.verifyingKey = verifyingKey
        self.proof = proof
        self.proofHex = proofHex
        self.publicSignals = publicSignals
    }
}

public struct VerifyResponse: Codable, Sendable, Equatable {
    /// True only when the pairing check passes.
    public var valid: Bool
    /// Why not, when invalid.
    public var reason: String?
    /// Whether the key used is a development key.
    public var development: Bool?

    public init(valid: Bool, reason: String? = nil, development: Bool? = nil) {
        self.valid = valid
        self.reason = reason
        self.development = development
    }
}

// MARK: - Storage: commitments and proofs of stored content

/// Lifecycle of a durable job in storage's database.
public enum JobStatus: String, Codable, Sendable, Equatable {
    case queued, running, done, failed
}

/// `POST /v1/commitments`.
public struct CommitmentRequest: Codable, Sendable, Equatable {
    public var cid: String
    public init(cid: String) { self.cid = cid }
}

/// `POST /v1/commitments` → 202 (queued) or 200 (already sealed); `GET /v1/commitments/{cid}`.
public struct CommitmentResponse: Codable, Sendable, Equatable {
    public var cid: String
    public var status: JobStatus
    /// Poseidon root R (decimal) once sealed.
    public var root: String?
    public var chunkCount: UInt64?
    public var byteCount: UInt64?
    /// Challenge blocks (64 chunks each) once sealed.
    public var blockCount: UInt64?
    public var error: String?

    public init(cid: String, status: JobStatus, root: String? = nil, chunkCount: UInt64? = nil, byteCount: UInt64? = nil, blockCount: UInt64? = nil, error: String? = nil) {
        self.cid = cid
        self.status = status
        self.root = root
        self.chunkCount = chunkCount
        self.byteCount = byteCount
        self.blockCount = blockCount
        self.error = error
    }
}

/// `POST /v1/proofs`: challenge a sealed file. Give `blocks` (explicit block numbers: one →
/// single proof, several → batch) or `count` (1 → single; the batch size → blocks drawn from
/// the beacon). The beacon is hex (e.g. a chain block hash).
public struct ProofRequest: Codable, Sendable, Equatable {
    public var cid: String
    public var beacon: String
    public var blocks: [UInt64]?
    public var count: Int?

    public init(cid: String, beacon: String, blocks: [UInt64]? = nil, count: Int? = nil) {
        self.cid = cid
        self.beacon = beacon
        self.blocks = blocks
        self.count = count
    }
}

/// `POST /v1/proofs` → 202; `GET /v1/proofs/{id}`.
public struct ProofRecord: Codable, Sendable, Equatable {
    public var id: String
    public var cid: String
    public var status: JobStatus
    public var circuit: String
    public var root: String
    public var beacon: String
    public var blocks: [UInt64]
    /// The challenged chunk indices derived from the beacon (anyone can recompute them).
    public var chunkIndices: [UInt64]
    /// Present once done; verified by storage against the published key before it is stored.
    public var bundle: ProofBundle?
    public var attempts: Int
    /// The prover instance (base URL) of the latest attempt, for operators.
    public var lastProver: String?
    public var error: String?
    /// Seconds since the Unix epoch.
    public var createdAt: Double
    public var completedAt: Double?

    public init(id: String, cid: String, status: JobStatus, circuit: String, root: String, beacon: String, blocks: [UInt64], chunkIndices: [UInt64], bundle: ProofBundle? = nil, attempts: Int, lastProver: String? = nil, error: String? = nil, createdAt: Double, completedAt: Double? = nil) {
        self.id = id
        self.cid = cid
        self.status = status
        self.circuit = circuit
        self.root = root
        self.beacon = beacon
        self.blocks = blocks
        self.chunkIndices = chunkIndices
        self.bundle = bundle
        self.attempts = attempts
        self.lastProver = lastProver
        self.error = error
        self.createdAt = createdAt
        self.completedAt = completedAt
    }
}
