/// The chain relay's v1 API (`pakit-chain-relay`, docs/chain-relay.md): submissions to
/// BelizeChain, each a row of the relay's durable outbox before anything is signed.
/// Byte strings travel as lowercase hex (`0x` optional on input); amounts as decimal strings
/// (Planck, 12 decimals: a u128 does not fit a JSON number).

/// A call the relay encodes, signs and submits: the runtime's pallet and call name, and its
/// arguments (`docs/chain-relay.md` lists each call's arguments).
public enum ChainCall: Codable, Sendable, Equatable {
    /// `StorageProof.submit_storage_proof`: a BLAKE2-256 Merkle inclusion proof of one leaf
    /// under `contentID` (the Merkle root).
    case submitStorageProof(contentID: String, leaf: String, siblings: [ChainMerkleStep])
    /// `Balances.transfer_keep_alive` (`keepAlive`) or `Balances.transfer_allow_death`: DALLA.
    case transfer(to: String, planck: String, keepAlive: Bool)
    /// `Economy.transfer_bbzd`: bBZD (both accounts need KYC on chain).
    case transferBBZD(to: String, amount: String)
    /// `Bns.register_domain`.
    case registerDomain(domain: String, tier: UInt8)
    /// `Bns.activate_hosting`.
    case activateHosting(domain: String, tier: UInt8, contentHash: String, autoRenew: Bool)
    /// `Bns.update_hosting_content`.
    case updateHostingContent(domain: String, contentHash: String, description: String, sizeBytes: UInt64)
    /// `Bns.renew_hosting`.
    case renewHosting(domain: String, months: UInt32)
    /// `Bns.deactivate_hosting`.
    case deactivateHosting(domain: String)
    /// `System.remark`: the relay's nonce filler; callers may send one too.
    case remark(hex: String)
    /// `Contracts.call`: an ink! contract's message (`data`: its selector and SCALE arguments).
    case contractsCall(ContractsCallArguments)
    /// `Mesh.register_node`, `Mesh.node_heartbeat`, `Mesh.submit_mesh_transaction`.
    case meshRegisterNode(MeshNodeArguments)
    case meshHeartbeat(nodeID: String)
    case meshTransaction(MeshTransactionArguments)
    /// `Quantum.submit_quantum_job`, `Quantum.record_quantum_result` (the commitment call).
    case quantumJob(QuantumJobArguments)
    case quantumResult(QuantumResultArguments)

    /// The runtime's name of the call, `Pallet.call`.
    public var name: String {
        switch self {
        case .submitStorageProof: "StorageProof.submit_storage_proof"
        case .transfer(_, _, let keepAlive): keepAlive ? "Balances.transfer_keep_alive" : "Balances.transfer_allow_death"
        case .transferBBZD: "Economy.transfer_bbzd"
        case .registerDomain: "Bns.register_domain"
        case .activateHosting: "Bns.activate_hosting"
        case .updateHostingContent: "Bns.update_hosting_content"
        case .renewHosting: "Bns.renew_hosting"
        case .deactivateHosting: "Bns.deactivate_hosting"
        case .remark: "System.remark"
        case .contractsCall: "Contracts.call"
        case .meshRegisterNode: "Mesh.register_node"
        case .meshHeartbeat: "Mesh.node_heartbeat"
        case .meshTransaction: "Mesh.submit_mesh_transaction"
        case .quantumJob: "Quantum.submit_quantum_job"
        case .quantumResult: "Quantum.record_quantum_result"
        }
    }

    private enum Keys: String, CodingKey { case call, args }
    private enum Arguments: String, CodingKey {
        case contentID = "content_id", leaf, siblings, to, planck, amount, domain, tier, contentHash = "content_hash"
        case autoRenew = "auto_renew", description, sizeBytes = "size_bytes", months, remark, nodeID = "node_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let name = try container.decode(String.self, forKey: .call)
        let args = try container.nestedContainer(keyedBy: Arguments.self, forKey: .args)
        switch name {
        case "StorageProof.submit_storage_proof":
            self = .submitStorageProof(contentID: try args.decode(String.self, forKey: .contentID), leaf: try args.decode(String.self, forKey: .leaf),
                                       siblings: try args.decode([ChainMerkleStep].self, forKey: .siblings))
        case "Balances.transfer_keep_alive", "Balances.transfer_allow_death":
            self = .transfer(to: try args.decode(String.self, forKey: .to), planck: try args.decode(String.self, forKey: .planck),
                             keepAlive: name == "Balances.transfer_keep_alive")
        case "Economy.transfer_bbzd":
            self = .transferBBZD(to: try args.decode(String.self, forKey: .to), amount: try args.decode(String.self, forKey: .amount))
        case "Bns.register_domain":
            self = .registerDomain(domain: try args.decode(String.self, forKey: .domain), tier: try args.decodeIfPresent(UInt8.self, forKey: .tier) ?? 0)
        case "Bns.activate_hosting":
            self = .activateHosting(domain: try args.decode(String.self, forKey: .domain), tier: try args.decodeIfPresent(UInt8.self, forKey: .tier) ?? 0,
                                    contentHash: try args.decode(String.self, forKey: .contentHash),
                                    autoRenew: try args.decodeIfPresent(Bool.self, forKey: .autoRenew) ?? false)
        case "Bns.update_hosting_content":
            self = .updateHostingContent(domain: try args.decode(String.self, forKey: .domain), contentHash: try args.decode(String.self, forKey: .contentHash),
                                         description: try args.decodeIfPresent(String.self, forKey: .description) ?? "",
                                         sizeBytes: try args.decodeIfPresent(UInt64.self, forKey: .sizeBytes) ?? 0)
        case "Bns.renew_hosting":
            self = .renewHosting(domain: try args.decode(String.self, forKey: .domain), months: try args.decode(UInt32.self, forKey: .months))
        case "Bns.deactivate_hosting":
            self = .deactivateHosting(domain: try args.decode(String.self, forKey: .domain))
        case "System.remark":
            self = .remark(hex: try args.decode(String.self, forKey: .remark))
        case "Contracts.call": self = .contractsCall(try container.decode(ContractsCallArguments.self, forKey: .args))
        case "Mesh.register_node": self = .meshRegisterNode(try container.decode(MeshNodeArguments.self, forKey: .args))
        case "Mesh.node_heartbeat": self = .meshHeartbeat(nodeID: try args.decode(String.self, forKey: .nodeID))
        case "Mesh.submit_mesh_transaction": self = .meshTransaction(try container.decode(MeshTransactionArguments.self, forKey: .args))
        case "Quantum.submit_quantum_job": self = .quantumJob(try container.decode(QuantumJobArguments.self, forKey: .args))
        case "Quantum.record_quantum_result": self = .quantumResult(try container.decode(QuantumResultArguments.self, forKey: .args))
        default:
            throw DecodingError.dataCorruptedError(forKey: .call, in: container,
                                                   debugDescription: "unknown call '\(name.prefix(80))' (docs/chain-relay.md lists the calls the relay makes)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(name, forKey: .call)
        switch self {
        case .contractsCall(let arguments): return try container.encode(arguments, forKey: .args)
        case .meshRegisterNode(let arguments): return try container.encode(arguments, forKey: .args)
        case .meshTransaction(let arguments): return try container.encode(arguments, forKey: .args)
        case .quantumJob(let arguments): return try container.encode(arguments, forKey: .args)
        case .quantumResult(let arguments): return try container.encode(arguments, forKey: .args)
        default: break
        }
        var args = container.nestedContainer(keyedBy: Arguments.self, forKey: .args)
        switch self {
        case .submitStorageProof(let contentID, let leaf, let siblings):
            try args.encode(contentID, forKey: .contentID)
            try args.encode(leaf, forKey: .leaf)
            try args.encode(siblings, forKey: .siblings)
        case .transfer(let to, let planck, _):
            try args.encode(to, forKey: .to)
            try args.encode(planck, forKey: .planck)
        case .transferBBZD(let to, let amount):
            try args.encode(to, forKey: .to)
            try args.encode(amount, forKey: .amount)
        case .registerDomain(let domain, let tier):
            try args.encode(domain, forKey: .domain)
            try args.encode(tier, forKey: .tier)
        case .activateHosting(let domain, let tier, let contentHash, let autoRenew):
            try args.encode(domain, forKey: .domain)
            try args.encode(tier, forKey: .tier)
            try args.encode(contentHash, forKey: .contentHash)
            try args.encode(autoRenew, forKey: .autoRenew)
        case .updateHostingContent(let domain, let contentHash, let description, let sizeBytes):
            try args.encode(domain, forKey: .domain)
            try args.encode(contentHash, forKey: .contentHash)
            try args.encode(description, forKey: .description)
            try args.encode(sizeBytes, forKey: .sizeBytes)
        case .renewHosting(let domain, let months):
            try args.encode(domain, forKey: .domain)
            try args.encode(months, forKey: .months)
        case .deactivateHosting(let domain):
            try args.encode(domain, forKey: .domain)
        case .remark(let hex):
            try args.encode(hex, forKey: .remark)
        case .meshHeartbeat(let nodeID):
            try args.encode(nodeID, forKey: .nodeID)
        case .contractsCall, .meshRegisterNode, .meshTransaction, .quantumJob, .quantumResult:
            break
        }
    }
}

/// `Contracts.call(dest, value, gas_limit, storage_deposit_limit, data)`.
public struct ContractsCallArguments: Codable, Sendable, Equatable {
    /// The contract's account, SS58 or hex.
    public var contract: String
    /// Planck sent with the call, decimal.
    public var value: String
    public var gasRefTime: UInt64
    public var gasProofSize: UInt64
    /// Planck, decimal; absent for no limit.
    public var storageDepositLimit: String?
    /// The message's selector and arguments, hex.
    public var data: String

    enum CodingKeys: String, CodingKey {
        case contract = "dest", value, gasRefTime = "gas_ref_time", gasProofSize = "gas_proof_size"
        case storageDepositLimit = "storage_deposit_limit", data
    }

    public init(contract: String, value: String, gasRefTime: UInt64, gasProofSize: UInt64, storageDepositLimit: String?, data: String) {
        self.contract = contract
        self.value = value
        self.gasRefTime = gasRefTime
        self.gasProofSize = gasProofSize
        self.storageDepositLimit = storageDepositLimit
        self.data = data
    }
}

/// `Mesh.register_node`: enum arguments by their runtime index (docs/chain-relay.md).
public struct MeshNodeArguments: Codable, Sendable, Equatable {
    /// 4 bytes, hex.
    public var nodeID: String
    public var role: UInt8
    public var hardware: UInt8
    public var region: UInt8
    /// Degrees × 10⁶.
    public var latitude: Int32
    public var longitude: Int32
    /// Metres.
    public var altitude: Int16
    public var district: UInt8
    public var terrain: UInt8

    enum CodingKeys: String, CodingKey { case nodeID = "node_id", role, hardware, region, latitude, longitude, altitude, district, terrain }

    public init(nodeID: String, role: UInt8, hardware: UInt8, region: UInt8, latitude: Int32, longitude: Int32, altitude: Int16,
                district: UInt8, terrain: UInt8) {
        self.nodeID = nodeID
        self.role = role
        self.hardware = hardware
        self.region = region
        self.latitude = latitude
        self.longitude = longitude
        self.altitude = altitude
        self.district = district
        self.terrain = terrain
    }
}

/// `Mesh.submit_mesh_transaction`: one transaction heard on the radio.
public struct MeshTransactionArguments: Codable, Sendable, Equatable {
    public var txHash: String
    public var txType: UInt8
    public var senderCompact: String
    public var recipientCompact: String
    public var amount: UInt64
    public var nonce: UInt32
    public var signatureHash: String
    public var gatewayNodeID: String
    public var relayPath: [String]
    public var hopCount: UInt8
    public var rssi: Int16
    public var snr: Int16

    enum CodingKeys: String, CodingKey {
        case txHash = "tx_hash", txType = "tx_type", senderCompact = "sender_compact", recipientCompact = "recipient_compact", amount, nonce
        case signatureHash = "signature_hash", gatewayNodeID = "gateway_node_id", relayPath = "relay_path", hopCount = "hop_count", rssi, snr
    }

    public init(txHash: String, txType: UInt8, senderCompact: String, recipientCompact: String, amount: UInt64, nonce: UInt32,
                signatureHash: String, gatewayNodeID: String, relayPath: [String], hopCount: UInt8, rssi: Int16, snr: Int16) {
        self.txHash = txHash
        self.txType = txType
        self.senderCompact = senderCompact
        self.recipientCompact = recipientCompact
        self.amount = amount
        self.nonce = nonce
        self.signatureHash = signatureHash
        self.gatewayNodeID = gatewayNodeID
        self.relayPath = relayPath
        self.hopCount = hopCount
        self.rssi = rssi
        self.snr = snr
    }
}

/// `Quantum.submit_quantum_job`.
public struct QuantumJobArguments: Codable, Sendable, Equatable {
    /// 1…64 bytes, hex.
    public var jobID: String
    public var backend: UInt8
    public var circuitHash: String
    public var qubits: UInt16
    public var depth: UInt32
    public var shots: UInt32

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", backend = "backend_index", circuitHash = "circuit_hash", qubits = "num_qubits", depth = "circuit_depth", shots = "num_shots"
    }

    public init(jobID: String, backend: UInt8, circuitHash: String, qubits: UInt16, depth: UInt32, shots: UInt32) {
        self.jobID = jobID
        self.backend = backend
        self.circuitHash = circuitHash
        self.qubits = qubits
        self.depth = depth
        self.shots = shots
    }
}

/// `Quantum.record_quantum_result`: a computation commitment, not a zero-knowledge proof.
public struct QuantumResultArguments: Codable, Sendable, Equatable {
    public var jobID: String
    public var resultHash: String
    /// 32…256 bytes, hex.
    public var commitment: String
    public var accuracy: UInt8

    enum CodingKeys: String, CodingKey { case jobID = "job_id", resultHash = "result_data_hash", commitment = "verification_proof", accuracy = "accuracy_score" }

    public init(jobID: String, resultHash: String, commitment: String, accuracy: UInt8) {
        self.jobID = jobID
        self.resultHash = resultHash
        self.commitment = commitment
        self.accuracy = accuracy
    }
}

/// One step of a Merkle path, as `StorageProof` takes it.
public struct ChainMerkleStep: Codable, Sendable, Equatable {
    /// The sibling's 32-byte hash, hex.
    public var node: String
    /// True when the sibling is the left half of the pair.
    public var nodeIsLeft: Bool

    enum CodingKeys: String, CodingKey { case node, nodeIsLeft = "node_is_left" }

    public init(node: String, nodeIsLeft: Bool) {
        self.node = node
        self.nodeIsLeft = nodeIsLeft
    }
}

/// `POST /internal/v1/submissions` (storage, lora-bridge, the operator): a call to submit once.
/// The same idempotency key always names the same submission: a retry after a lost answer gets
/// the first one back (and a different call under a used key is refused with 409).
public struct SubmissionRequest: Codable, Sendable, Equatable {
    /// 1…128 characters of `[A-Za-z0-9._:/-]`.
    public var idempotencyKey: String
    public var call: ChainCall

    public init(idempotencyKey: String, call: ChainCall) {
        self.idempotencyKey = idempotencyKey
        self.call = call
    }
}

/// Where a submission is. `queued` → `signed` → `submitted` → `in_block` → `finalized`, or
/// `failed`. Only `finalized` and `failed` are final, and both are read from the finalized
/// chain (or, for `failed` before inclusion, from the node's refusal of the call itself).
public enum SubmissionState: String, Codable, Sendable, Equatable, CaseIterable {
    /// Stored; not signed yet (no nonce).
    case queued
    /// Signed with a nonce; not yet accepted by a node's pool.
    case signed
    /// In a node's pool (ready or future).
    case submitted
    /// In a best block (a hint: a re-org may take it back to `submitted`).
    case inBlock = "in_block"
    /// In a finalized block and dispatched successfully.
    case finalized
    /// Final failure: dispatched with an error in a finalized block (`error` names the module
    /// error), or refused for good before inclusion.
    case failed

    public var isFinal: Bool { self == .finalized || self == .failed }
}

/// One submission, as `GET /v1/submissions/{id}` shows it. Times are Unix seconds.
public struct SubmissionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var idempotencyKey: String
    /// Who asked (`storage`, `lora-bridge`, `operator`, or `relay` for a nonce filler).
    public var caller: String
    public var call: ChainCall
    public var state: SubmissionState
    public var nonce: UInt32?
    /// The transaction hash (BLAKE2-256 of the signed extrinsic) of the latest signing.
    public var txHash: String?
    /// How many times the call was signed (a fresh era after expiry, a runtime upgrade).
    public var signings: Int
    public var blockHash: String?
    public var blockNumber: UInt32?
    public var extrinsicIndex: UInt32?
    /// `Pallet.Error` for a module error, the DispatchError's name otherwise, or the node's
    /// refusal; for a success counted under a rule (ContentAlreadyProven with the relay as the
    /// stored submitter) the rule's note.
    public var error: String?
    public var note: String?
    /// When a node's pool first accepted it, and the best block number then.
    public var submittedAt: Double?
    public var submittedBlock: UInt32?
    public var createdAt: Double
    public var updatedAt: Double
    public var finalizedAt: Double?

    public init(id: String, idempotencyKey: String, caller: String, call: ChainCall, state: SubmissionState, nonce: UInt32?, txHash: String?,
                signings: Int, blockHash: String?, blockNumber: UInt32?, extrinsicIndex: UInt32?, error: String?, note: String?,
                submittedAt: Double? = nil, submittedBlock: UInt32? = nil, createdAt: Double, updatedAt: Double, finalizedAt: Double?) {
        self.id = id
        self.idempotencyKey = idempotencyKey
        self.caller = caller
        self.call = call
        self.state = state
        self.nonce = nonce
        self.txHash = txHash
        self.signings = signings
        self.blockHash = blockHash
        self.blockNumber = blockNumber
        self.extrinsicIndex = extrinsicIndex
        self.error = error
        self.note = note
        self.submittedAt = submittedAt
        self.submittedBlock = submittedBlock
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finalizedAt = finalizedAt
    }
}

/// `GET /v1/submissions?state=&caller=&call=&key=&limit=`: newest first (`key`: an idempotency key).
public struct SubmissionListResponse: Codable, Sendable, Equatable {
    public var submissions: [SubmissionRecord]
    public init(submissions: [SubmissionRecord]) { self.submissions = submissions }
}

/// `GET /v1/chain`: the relay's view of the chain and its account.
public struct RelayChainStatus: Codable, Sendable, Equatable {
    /// The node URL (ws:// or wss://), without credentials.
    public var node: String
    public var connected: Bool
    /// Set when the relay refuses the chain (another genesis, an incompatible runtime): nothing
    /// is signed until it changes.
    public var refusal: String?
    public var genesisHash: String?
    public var specName: String?
    public var specVersion: UInt32?
    public var transactionVersion: UInt32?
    public var finalizedNumber: UInt32?
    /// The last finalized block whose extrinsics the relay has read.
    public var checkpointNumber: UInt32?
    /// The relay's account, SS58 with prefix 1981, and hex.
    public var account: String
    public var accountHex: String
    /// The account's nonce in the finalized state, and the next one the relay will assign.
    public var chainNonce: UInt32?
    public var nextNonce: UInt32?
    /// Submissions by state.
    public var counts: [String: Int]

    public init(node: String, connected: Bool, refusal: String?, genesisHash: String?, specName: String?, specVersion: UInt32?,
                transactionVersion: UInt32?, finalizedNumber: UInt32?, checkpointNumber: UInt32?, account: String, accountHex: String,
                chainNonce: UInt32?, nextNonce: UInt32?, counts: [String: Int]) {
        self.node = node
        self.connected = connected
        self.refusal = refusal
        self.genesisHash = genesisHash
        self.specName = specName
        self.specVersion = specVersion
        self.transactionVersion = transactionVersion
        self.finalizedNumber = finalizedNumber
        self.checkpointNumber = checkpointNumber
        self.account = account
        self.accountHex = accountHex
        self.chainNonce = chainNonce
        self.nextNonce = nextNonce
        self.counts = counts
    }
}

/// `POST /v1/anchors` (storage, write token): anchor a file added on this node on BelizeChain.
public struct AnchorRequest: Codable, Sendable, Equatable {
    public var cid: String
    public init(cid: String) { self.cid = cid }
}

/// What storage asked the relay to submit for a file, and where that submission is.
public struct AnchorResponse: Codable, Sendable, Equatable {
    public var cid: String
    /// The StorageProof content id: the file's BLAKE2-256 Merkle root (for a one-leaf file, the
    /// root of that leaf paired with itself: the pallet refuses an empty path).
    public var contentID: String
    /// The leaf whose inclusion proof was submitted.
    public var leafIndex: Int
    public var submission: SubmissionRecord

    public init(cid: String, contentID: String, leafIndex: Int, submission: SubmissionRecord) {
        self.cid = cid
        self.contentID = contentID
        self.leafIndex = leafIndex
        self.submission = submission
    }
}

/// `GET /internal/v1/bns/{domain}` (relay; storage, operator): a `.bz` name's hosting record
/// (`Bns.HostedWebsites`) in the finalized state.
public struct BnsHostingRecord: Codable, Sendable, Equatable {
    public var domain: String
    /// The 32-byte content hash (hex): the site's anchored content id.
    public var contentHash: String
    /// The hosting subscriber, SS58 (prefix 1981).
    public var subscriber: String
    public var tier: UInt8
    public var expiresAt: UInt32
    /// The finalized block the record was read at.
    public var finalizedNumber: UInt32

    public init(domain: String, contentHash: String, subscriber: String, tier: UInt8, expiresAt: UInt32, finalizedNumber: UInt32) {
        self.domain = domain
        self.contentHash = contentHash
        self.subscriber = subscriber
        self.tier = tier
        self.expiresAt = expiresAt
        self.finalizedNumber = finalizedNumber
    }
}

/// `POST /v1/sites` (storage, write token): host a stored DAG (a directory with `index.html`)
/// under a `.bz` name on BelizeChain's Bns pallet.
public struct SiteRequest: Codable, Sendable, Equatable {
    /// The whole name, `.bz` included (`clinic.bz`).
    public var domain: String
    public var cid: String
    public init(domain: String, cid: String) {
        self.domain = domain
        self.cid = cid
    }
}

/// What storage asked the relay to submit for a site, and the name's record as the finalized
/// chain has it.
public struct SiteResponse: Codable, Sendable, Equatable {
    public var domain: String
    public var cid: String
    /// The content hash the Bns record gets: the root's anchored content id (hex).
    public var contentID: String
    /// The submissions made (register and activate for a new name, update for a hosted one,
    /// and the content's StorageProof anchor), in nonce order.
    public var submissions: [SubmissionRecord]

    public init(domain: String, cid: String, contentID: String, submissions: [SubmissionRecord]) {
        self.domain = domain
        self.cid = cid
        self.contentID = contentID
        self.submissions = submissions
    }
}

/// `GET /v1/sites/{domain}` (storage): where a name points in the finalized state.
public struct SiteStatus: Codable, Sendable, Equatable {
    public var domain: String
    public var contentID: String
    /// The root this node knows for the content id (nil: not anchored or published here).
    public var cid: String?
    public var finalizedNumber: UInt32

    public init(domain: String, contentID: String, cid: String?, finalizedNumber: UInt32) {
        self.domain = domain
        self.contentID = contentID
        self.cid = cid
        self.finalizedNumber = finalizedNumber
    }
}

/// A payment to the relay's account the relay read from a finalized block's events
/// (`Balances.Transfer` in DALLA, `Economy.BbzdTransferred` in bBZD), recorded once.
public struct PaymentRecord: Codable, Sendable, Equatable {
    /// `<block number>:<event index>`: unique, and the list's cursor.
    public var id: String
    /// `DALLA` or `bBZD`.
    public var asset: String
    /// The payer, SS58 (prefix 1981).
    public var payer: String
    /// In the asset's smallest unit (Planck for DALLA), decimal.
    public var amount: String
    public var blockNumber: UInt32
    public var blockHash: String
    /// The extrinsic that paid (its index in the block), when the event names one.
    public var extrinsicIndex: UInt32?
    public var recordedAt: Double

    public init(id: String, asset: String, payer: String, amount: String, blockNumber: UInt32, blockHash: String, extrinsicIndex: UInt32?,
                recordedAt: Double) {
        self.id = id
        self.asset = asset
        self.payer = payer
        self.amount = amount
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.extrinsicIndex = extrinsicIndex
        self.recordedAt = recordedAt
    }
}

/// `GET /v1/payments?payer=&after=&limit=`: oldest first, from the cursor `after` (an id).
public struct PaymentListResponse: Codable, Sendable, Equatable {
    public var payments: [PaymentRecord]
    /// Per payer and asset, everything recorded (decimal strings), when a payer was asked for.
    public var totals: [String: String]?
    public init(payments: [PaymentRecord], totals: [String: String]? = nil) {
        self.payments = payments
        self.totals = totals
    }
}

/// `GET /v1/quotas/{account}` (storage): what an account has bought with DALLA payments to the
/// node's relay account (`quota-planck-per-mib`), credited once per payment.
public struct QuotaRecord: Codable, Sendable, Equatable {
    /// SS58 (prefix 1981).
    public var account: String
    /// Planck credited, decimal.
    public var creditedPlanck: String
    public var quotaBytes: UInt64
    public var payments: Int

    public init(account: String, creditedPlanck: String, quotaBytes: UInt64, payments: Int) {
        self.account = account
        self.creditedPlanck = creditedPlanck
        self.quotaBytes = quotaBytes
        self.payments = payments
    }
}
