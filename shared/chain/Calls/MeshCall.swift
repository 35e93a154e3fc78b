/// Mesh (34): Meshtastic nodes and the transactions they carry off-grid. The relay acts as a
/// Gateway node; bridged transactions are bookkeeping (the transfer itself is a separate call).
public enum MeshCall {
    public enum NodeRole: UInt8, Sendable { case client = 0, router, routerClient, gateway, validatorRelay, emergencyBeacon }
    public enum Hardware: UInt8, Sendable { case heltecV3 = 0, tBeam, tBeamSupreme, rakWisBlock, heltecTracker, stationG2, custom, unknown }
    public enum Region: UInt8, Sendable { case us915 = 0, eu868, cn433, au915, in865, jp920, kr920, as923 }
    public enum District: UInt8, Sendable { case belize = 0, cayo, orangeWalk, corozal, stannCreek, toledo }
    public enum Terrain: UInt8, Sendable { case coastal = 0, urban, suburban, ruralFlat, jungle, mountain, island, riverValley }
    public enum TransactionType: UInt8, Sendable { case transferDalla = 0, transferBBZD, governanceVote, identityPing, nodeStatus }

    /// `register_node(node_id: [u8; 4], role, hardware, region, latitude: i32, longitude: i32,
    /// altitude: i16, district, _terrain)`. The runtime judges the coordinates (`InvalidCoordinates`).
    public static func registerNode(nodeID: [UInt8], role: NodeRole, hardware: Hardware, region: Region, latitude: Int32,
                                    longitude: Int32, altitude: Int16, district: District, terrain: Terrain) throws(ChainError) -> [UInt8] {
        try nodeIDBytes(nodeID)
        var writer = start(0)
        writer.raw(nodeID)
        writer.u8(role.rawValue)
        writer.u8(hardware.rawValue)
        writer.u8(region.rawValue)
        writer.u32(UInt32(bitPattern: latitude))
        writer.u32(UInt32(bitPattern: longitude))
        writer.u16(UInt16(bitPattern: altitude))
        writer.u8(district.rawValue)
        writer.u8(terrain.rawValue)
        return writer.bytes
    }

    /// `node_heartbeat(node_id: [u8; 4])`: due within every 100 blocks.
    public static func nodeHeartbeat(nodeID: [UInt8]) throws(ChainError) -> [UInt8] {
        try nodeIDBytes(nodeID)
        var writer = start(3)
        writer.raw(nodeID)
        return writer.bytes
    }

    /// One transaction heard on the radio, as `submit_mesh_transaction` takes it.
    public struct MeshTransaction: Sendable, Equatable {
        public let txHash: [UInt8]
        public let type: TransactionType
        public let senderCompact: [UInt8]
        public let recipientCompact: [UInt8]
        public let amount: UInt64
        public let nonce: UInt32
        public let signatureHash: [UInt8]
        public let gatewayNodeID: [UInt8]
        public let relayPath: [[UInt8]]
        public let hopCount: UInt8
        public let rssi: Int16
        public let snr: Int16

        public init(txHash: [UInt8], type: TransactionType, senderCompact: [UInt8], recipientCompact: [UInt8], amount: UInt64,
                    nonce: UInt32, signatureHash: [UInt8], gatewayNodeID: [UInt8], relayPath: [[UInt8]], hopCount: UInt8,
                    rssi: Int16, snr: Int16) {
            self.txHash = txHash
            self.type = type
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

    /// `submit_mesh_transaction(tx_hash: H256, tx_type, sender_compact: [u8; 4], recipient_compact: [u8; 4],
    /// amount: u64, nonce: u32, signature_hash: H256 (≠ 0), gateway_node_id: [u8; 4],
    /// relay_path: Vec<[u8; 4]> (≤ 8), hop_count: u8, rssi: i16, snr: i16)`.
    public static func submitMeshTransaction(_ transaction: MeshTransaction) throws(ChainError) -> [UInt8] {
        try CallArguments.hash(transaction.txHash, "a transaction hash")
        try CallArguments.hash(transaction.signatureHash, "a signature hash")
        guard transaction.signatureHash.contains(where: { $0 != 0 }) else { throw ChainError(.value, "the signature hash must not be zero") }
        for id in [transaction.senderCompact, transaction.recipientCompact, transaction.gatewayNodeID] + transaction.relayPath {
            try nodeIDBytes(id)
        }
        guard transaction.relayPath.count <= 8 else { throw ChainError(.value, "a relay path has at most 8 hops, not \(transaction.relayPath.count)") }
        var writer = start(4)
        writer.raw(transaction.txHash)
        writer.u8(transaction.type.rawValue)
        writer.raw(transaction.senderCompact)
        writer.raw(transaction.recipientCompact)
        writer.u64(transaction.amount)
        writer.u32(transaction.nonce)
        writer.raw(transaction.signatureHash)
        writer.raw(transaction.gatewayNodeID)
        writer.vector(transaction.relayPath) { $0.raw($1) }
        writer.u8(transaction.hopCount)
        writer.u16(UInt16(bitPattern: transaction.rssi))
        writer.u16(UInt16(bitPattern: transaction.snr))
        return writer.bytes
    }

    private static func nodeIDBytes(_ id: [UInt8]) throws(ChainError) {
        guard id.count == 4 else { throw ChainError(.value, "a mesh node id has 4 bytes, not \(id.count)") }
    }

    private static func start(_ index: UInt8) -> ScaleWriter {
        var writer = ScaleWriter()
        writer.u8(Pallet.mesh.rawValue)
        writer.u8(index)
        return writer
    }
}
