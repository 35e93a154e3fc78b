import PakitChain
import PakitContracts
import PakitCore

/// The SCALE bytes of a requested call, every argument checked first: what the runtime would
/// refuse is refused here, with a message naming the argument, before anything is stored.
enum CallEncoding {
    static func encode(_ call: ChainCall) throws(ChainError) -> [UInt8] {
        switch call {
        case .submitStorageProof(let contentID, let leaf, let siblings):
            var steps: [MerkleStep] = []
            for (index, step) in siblings.enumerated() {
                steps.append(MerkleStep(node: try hash(step.node, "siblings[\(index)].node"), nodeIsLeft: step.nodeIsLeft))
            }
            let content = try hash(contentID, "content_id")
            let leafHash = try hash(leaf, "leaf")
            guard BinaryMerkleTree.verify(leaf: leafHash, steps: steps, root: content) else {
                throw ChainError(.value, "the Merkle path does not lead from the leaf to content_id (the pallet would refuse it with RootMismatch)")
            }
            return try StorageProofCall.submit(contentID: content, leaf: leafHash, siblings: steps)
        case .transfer(let to, let planck, let keepAlive):
            let account = try account(to)
            let amount = try amount(planck, "planck")
            return keepAlive ? try BalancesCall.transferKeepAlive(to: account, planck: amount)
                : try BalancesCall.transferAllowDeath(to: account, planck: amount)
        case .transferBBZD(let to, let amount):
            return try EconomyCall.transferBBZD(to: try account(to), amount: try self.amount(amount, "amount"))
        case .registerDomain(let domain, let tier):
            guard let tier = BnsCall.DomainTier(rawValue: tier) else { throw ChainError(.value, "tier is 0…3 (standard, premium, government, verified)") }
            return try BnsCall.registerDomain(domain, tier: tier)
        case .activateHosting(let domain, let tier, let contentHash, let autoRenew):
            guard let tier = BnsCall.HostingTier(rawValue: tier) else { throw ChainError(.value, "tier is 0…3 (free, basic, pro, enterprise)") }
            return try BnsCall.activateHosting(domain, tier: tier, contentHash: try hash(contentHash, "content_hash"), autoRenew: autoRenew)
        case .updateHostingContent(let domain, let contentHash, let description, let sizeBytes):
            return try BnsCall.updateHostingContent(domain, contentHash: try hash(contentHash, "content_hash"),
                                                    description: description, sizeBytes: sizeBytes)
        case .renewHosting(let domain, let months):
            return try BnsCall.renewHosting(domain, months: months)
        case .deactivateHosting(let domain):
            return try BnsCall.deactivateHosting(domain)
        case .remark(let hex):
            guard let bytes = Hex.decode(hex) else { throw ChainError(.value, "remark is hex") }
            return try SystemCall.remark(bytes)
        case .contractsCall(let call):
            guard let data = Hex.decode(call.data) else { throw ChainError(.value, "data is hex") }
            return try ContractsCall.call(contract: try account(call.contract), value: try amount(call.value, "value"),
                                          gasLimit: .init(refTime: call.gasRefTime, proofSize: call.gasProofSize),
                                          storageDepositLimit: try call.storageDepositLimit.map { text throws(ChainError) in try amount(text, "storage_deposit_limit") },
                                          data: data)
        case .meshRegisterNode(let node):
            guard let role = MeshCall.NodeRole(rawValue: node.role), let hardware = MeshCall.Hardware(rawValue: node.hardware),
                  let region = MeshCall.Region(rawValue: node.region), let district = MeshCall.District(rawValue: node.district),
                  let terrain = MeshCall.Terrain(rawValue: node.terrain) else {
                throw ChainError(.value, "role 0…5, hardware 0…7, region 0…7, district 0…5 and terrain 0…7 are the runtime's enum indices")
            }
            return try MeshCall.registerNode(nodeID: try bytes(node.nodeID, "node_id"), role: role, hardware: hardware, region: region,
                                             latitude: node.latitude, longitude: node.longitude, altitude: node.altitude, district: district, terrain: terrain)
        case .meshHeartbeat(let nodeID):
            return try MeshCall.nodeHeartbeat(nodeID: try bytes(nodeID, "node_id"))
        case .meshTransaction(let transaction):
            guard let type = MeshCall.TransactionType(rawValue: transaction.txType) else { throw ChainError(.value, "tx_type is 0…4") }
            var path: [[UInt8]] = []
            for (index, hop) in transaction.relayPath.enumerated() { path.append(try bytes(hop, "relay_path[\(index)]")) }
            return try MeshCall.submitMeshTransaction(MeshCall.MeshTransaction(
                txHash: try hash(transaction.txHash, "tx_hash"), type: type, senderCompact: try bytes(transaction.senderCompact, "sender_compact"),
                recipientCompact: try bytes(transaction.recipientCompact, "recipient_compact"), amount: transaction.amount, nonce: transaction.nonce,
                signatureHash: try hash(transaction.signatureHash, "signature_hash"), gatewayNodeID: try bytes(transaction.gatewayNodeID, "gateway_node_id"),
                relayPath: path, hopCount: transaction.hopCount, rssi: transaction.rssi, snr: transaction.snr))
        case .quantumJob(let job):
            return try QuantumCall.submitJob(jobID: try bytes(job.jobID, "job_id"), backend: job.backend, circuitHash: try hash(job.circuitHash, "circuit_hash"),
                                             qubits: job.qubits, depth: job.depth, shots: job.shots)
        case .quantumResult(let result):
            return try QuantumCall.recordResult(jobID: try bytes(result.jobID, "job_id"), resultHash: try hash(result.resultHash, "result_data_hash"),
                                                commitment: try bytes(result.commitment, "verification_proof"), accuracy: result.accuracy)
        }
    }

    static func bytes(_ text: String, _ argument: String) throws(ChainError) -> [UInt8] {
        guard let bytes = Hex.decode(text) else { throw ChainError(.value, "\(argument) is hex") }
        return bytes
    }

    static func hash(_ text: String, _ argument: String) throws(ChainError) -> [UInt8] {
        guard let bytes = Hex.decode(text), bytes.count == 32 else { throw ChainError(.value, "\(argument) is a 32-byte hash in hex") }
        return bytes
    }

    /// An account as SS58 (prefix 1981) or 32 bytes of hex.
    static func account(_ text: String) throws(ChainError) -> [UInt8] {
        if let bytes = Hex.decode(text), bytes.count == 32 { return bytes }
        do {
            return try SS58.decode(text)
        } catch {
            throw ChainError(.value, "'\(text.prefix(80))' is neither an SS58 address with prefix 1981 nor a 32-byte hex account id (\(error.message))")
        }
    }

    /// A decimal amount in the chain's smallest unit (u128).
    static func amount(_ text: String, _ argument: String) throws(ChainError) -> UInt128 {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = UInt128(text) else {
            throw ChainError(.value, "\(argument) is a whole number of Planck as a decimal string, at most 2^128 − 1")
        }
        return value
    }
}
