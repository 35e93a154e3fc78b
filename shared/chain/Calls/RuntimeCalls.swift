import PakitCore

/// Pallet indices of BelizeChain's runtime (spec 107, explicit `construct_runtime!` indices).
/// The relay checks them against the live metadata before it signs anything.
public enum Pallet: UInt8, Sendable, CaseIterable {
    case system = 0
    case balances = 4
    case contracts = 13
    case economy = 20
    case quantum = 31
    case bns = 33
    case mesh = 34
    case storageProof = 38

    /// The name in the runtime metadata (case-sensitive).
    public var metadataName: String {
        switch self {
        case .system: "System"
        case .balances: "Balances"
        case .contracts: "Contracts"
        case .economy: "Economy"
        case .quantum: "Quantum"
        case .bns: "Bns"
        case .mesh: "Mesh"
        case .storageProof: "StorageProof"
        }
    }
}

/// `StorageProof` (38): BLAKE2-256 Merkle proofs that content is held. The pallet takes Merkle
/// proofs only (`ProofType::Groth16` fails with `Groth16NotYetAccepted`).
public enum StorageProofCall {
    public enum ProofType: UInt8, Sendable { case merkle = 0, groth16 = 1 }

    /// The pallet's bound on a proof's path (`BoundedVec<MerkleStep, 64>`).
    public static let maximumSiblings = 64

    /// `submit_storage_proof(content_id: [u8; 32], proof: MerkleProof { leaf, siblings }, proof_type)`.
    public static func submit(contentID: [UInt8], leaf: [UInt8], siblings: [MerkleStep], proofType: ProofType = .merkle) throws(ChainError) -> [UInt8] {
        guard contentID.count == 32, leaf.count == 32 else {
            throw ChainError(.value, "a content id and a leaf have 32 bytes each (\(contentID.count), \(leaf.count) given)")
        }
        guard !siblings.isEmpty, siblings.count <= maximumSiblings else {
            throw ChainError(.value, "a storage proof has 1…\(maximumSiblings) siblings, not \(siblings.count)")
        }
        guard siblings.allSatisfy({ $0.node.count == 32 }) else { throw ChainError(.value, "every sibling is a 32-byte hash") }
        var writer = ScaleWriter()
        writer.u8(Pallet.storageProof.rawValue)
        writer.u8(0)
        writer.raw(contentID)
        writer.raw(leaf)
        writer.vector(siblings) { writer, step in
            writer.raw(step.node)
            writer.bool(step.nodeIsLeft)
        }
        writer.u8(proofType.rawValue)
        return writer.bytes
    }
}

/// `System` (0): the relay uses `remark` alone, to fill a nonce that nothing else will take
/// (a submission refused after its nonce was allocated), so later nonces are not stranded in
/// the future queue.
public enum SystemCall {
    /// The runtime's block length bounds a remark; the relay's are a few bytes.
    public static let maximumRemark = 1024

    /// `remark(remark: Vec<u8>)` (0/0): no effect but its fee and the nonce it uses.
    public static func remark(_ bytes: [UInt8]) throws(ChainError) -> [UInt8] {
        try CallArguments.bounded(bytes, "a remark", maximum: maximumRemark)
        var writer = ScaleWriter()
        writer.u8(Pallet.system.rawValue)
        writer.u8(0)
        writer.byteVector(bytes)
        return writer.bytes
    }
}
