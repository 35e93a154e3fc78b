import PakitCore

/// Everything of the runtime that Pakit's encodings take for granted, in one place: each call
/// with a sample built by its real builder in `Calls/` (so the pallet and call indices checked
/// are the ones the builders write, not a second copy of them), its name and argument count, and
/// the extrinsic format `SignedExtrinsic` signs.
public enum PakitRuntimeInterface {
    /// A call Pakit encodes.
    public struct Call: Sendable {
        public let pallet: Pallet
        /// The call's name in the metadata (snake case, as in the runtime's source).
        public let name: String
        public let argumentCount: Int
        /// Builds a call with fixed valid arguments; its first two bytes are the indices Pakit encodes.
        let sample: @Sendable () throws(ChainError) -> [UInt8]

        /// The call index Pakit's builder writes.
        public func encodedIndex() throws(ChainError) -> UInt8 {
            let bytes = try sample()
            guard bytes.count >= 2, bytes[0] == pallet.rawValue else {
                throw ChainError(.value, "the \(pallet.metadataName).\(name) builder does not start with pallet \(pallet.rawValue)")
            }
            return bytes[1]
        }
    }

    /// A signed extension as `SignedExtrinsic` writes it: bytes in the extrinsic (nil where
    /// the size varies: `Era`, Compact nonce and tip) and bytes only in the signed payload.
    public struct SignedExtension: Sendable, Equatable {
        public let identifier: String
        public let explicitBytes: Int?
        public let signedOnlyBytes: Int
    }

    /// The extrinsic format version of `SignedExtrinsic`'s `0x84` (signed, version 4).
    public static let extrinsicVersion: UInt8 = 4

    /// `SignedExtrinsic`'s extensions, in order: no `CheckMetadataHash`.
    public static let signedExtensions: [SignedExtension] = [
        SignedExtension(identifier: "CheckNonZeroSender", explicitBytes: 0, signedOnlyBytes: 0),
        SignedExtension(identifier: "CheckSpecVersion", explicitBytes: 0, signedOnlyBytes: 4),
        SignedExtension(identifier: "CheckTxVersion", explicitBytes: 0, signedOnlyBytes: 4),
        SignedExtension(identifier: "CheckGenesis", explicitBytes: 0, signedOnlyBytes: 32),
        SignedExtension(identifier: "CheckMortality", explicitBytes: nil, signedOnlyBytes: 32),
        SignedExtension(identifier: "CheckNonce", explicitBytes: nil, signedOnlyBytes: 0),
        SignedExtension(identifier: "CheckWeight", explicitBytes: 0, signedOnlyBytes: 0),
        SignedExtension(identifier: "ChargeTransactionPayment", explicitBytes: nil, signedOnlyBytes: 0),
    ]

    public static let calls: [Call] = [
        Call(pallet: .storageProof, name: "submit_storage_proof", argumentCount: 3) { () throws(ChainError) in
            try StorageProofCall.submit(contentID: hash, leaf: hash, siblings: [MerkleStep(node: hash, nodeIsLeft: true)])
        },
        Call(pallet: .balances, name: "transfer_allow_death", argumentCount: 2) { () throws(ChainError) in
            try BalancesCall.transferAllowDeath(to: hash, planck: 1)
        },
        Call(pallet: .balances, name: "transfer_keep_alive", argumentCount: 2) { () throws(ChainError) in
            try BalancesCall.transferKeepAlive(to: hash, planck: 1)
        },
        Call(pallet: .economy, name: "transfer_bbzd", argumentCount: 2) { () throws(ChainError) in
            try EconomyCall.transferBBZD(to: hash, amount: 1)
        },
        Call(pallet: .bns, name: "register_domain", argumentCount: 2) { () throws(ChainError) in
            try BnsCall.registerDomain(domain, tier: .standard)
        },
        Call(pallet: .bns, name: "activate_hosting", argumentCount: 4) { () throws(ChainError) in
            try BnsCall.activateHosting(domain, tier: .free, contentHash: hash, autoRenew: false)
        },
        Call(pallet: .bns, name: "renew_hosting", argumentCount: 2) { () throws(ChainError) in
            try BnsCall.renewHosting(domain, months: 1)
        },
        Call(pallet: .bns, name: "deactivate_hosting", argumentCount: 1) { () throws(ChainError) in
            try BnsCall.deactivateHosting(domain)
        },
        Call(pallet: .bns, name: "update_hosting_content", argumentCount: 4) { () throws(ChainError) in
            try BnsCall.updateHostingContent(domain, contentHash: hash, description: "", sizeBytes: 0)
        },
        Call(pallet: .contracts, name: "call", argumentCount: 5) { () throws(ChainError) in
            try ContractsCall.call(contract: hash, value: 0, gasLimit: ContractsCall.Weight(refTime: 0, proofSize: 0), storageDepositLimit: nil, data: [])
        },
        Call(pallet: .mesh, name: "register_node", argumentCount: 9) { () throws(ChainError) in
            try MeshCall.registerNode(nodeID: nodeID, role: .gateway, hardware: .custom, region: .us915, latitude: 0, longitude: 0,
                                      altitude: 0, district: .belize, terrain: .coastal)
        },
        Call(pallet: .mesh, name: "node_heartbeat", argumentCount: 1) { () throws(ChainError) in
            try MeshCall.nodeHeartbeat(nodeID: nodeID)
        },
        Call(pallet: .mesh, name: "submit_mesh_transaction", argumentCount: 12) { () throws(ChainError) in
            try MeshCall.submitMeshTransaction(MeshCall.MeshTransaction(
                txHash: hash, type: .nodeStatus, senderCompact: nodeID, recipientCompact: nodeID, amount: 0, nonce: 0,
                signatureHash: hash, gatewayNodeID: nodeID, relayPath: [], hopCount: 0, rssi: 0, snr: 0))
        },
        Call(pallet: .quantum, name: "submit_quantum_job", argumentCount: 6) { () throws(ChainError) in
            try QuantumCall.submitJob(jobID: [1], backend: 0, circuitHash: hash, qubits: 1, depth: 1, shots: 1)
        },
        Call(pallet: .quantum, name: "record_quantum_result", argumentCount: 4) { () throws(ChainError) in
            try QuantumCall.recordResult(jobID: [1], resultHash: hash, commitment: hash, accuracy: 0)
        },
        Call(pallet: .system, name: "remark", argumentCount: 1) { () throws(ChainError) in try SystemCall.remark([]) },
    ]

    private static let hash = [UInt8](repeating: 1, count: 32)
    private static let nodeID: [UInt8] = [1, 2, 3, 4]
    private static let domain = "pakit"
}
