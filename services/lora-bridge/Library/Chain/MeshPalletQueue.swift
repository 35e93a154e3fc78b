import Foundation
import Logging
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitMeshtastic

/// Mesh-pallet calls (node registration, heartbeats, `submit_mesh_transaction`) kept durably
/// until they are handed on: to this node's chain relay (`POST /internal/v1/submissions`, whose
/// idempotency key makes a repeat harmless), or off-grid, over LoRa to a gateway node that
/// answers once the call is durable in its own queue (docs/lora-bridge.md, "Mesh pallet").
public actor MeshPalletQueue {
    let store: MeshQueueStore
    let client: ServiceClient
    let relayURL: @Sendable () -> String?
    let heartbeatIntervalSeconds: Double
    let logger: Logger
    /// Set once by `LoRaBridgeNode.open`: forwards to gateways and learns this node's radio.
    private var bridge: LoRaBridge?
    private var wake: AsyncStream<Void>.Continuation?
    private var wakes: AsyncStream<Void>?

    init(store: MeshQueueStore, client: ServiceClient, relayURL: @escaping @Sendable () -> String?, heartbeatIntervalSeconds: Double, logger: Logger) {
        self.store = store
        self.client = client
        self.relayURL = relayURL
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.logger = logger
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wakes = stream
        wake = continuation
    }

    func attach(_ bridge: LoRaBridge) { self.bridge = bridge }

    // MARK: Enqueueing

    /// Keeps a call; acknowledged means durable. An existing key is not added twice.
    @discardableResult
    func enqueue(_ call: ChainCall, key: String, route: MeshRoute) async throws(BridgeError) -> LoRaChainQueueEntry {
        let now = MeshQueueStore.now()
        let entry = MeshQueueStore.Entry(key: key, call: call, route: route, state: .queued, attempts: 0, lastError: nil, submissionID: nil,
                                         createdAt: now, updatedAt: now)
        do { _ = try await store.insert(entry) } catch { throw .unavailable("the bridge's database: \(error)") }
        wake?.yield()
        return entry.record
    }

    /// `Mesh.register_node` for this node's radio.
    public func register(_ registration: LoRaMeshRegistration) async throws(BridgeError) -> LoRaChainQueueEntry {
        guard let bridge, let radio = await bridge.radioIdentity() else { throw .radioUnavailable }
        guard let region = MeshPalletNames.region(meshtasticRegion: radio.region) else {
            throw .invalid("the device's region (\(RadioNames.regionName(radio.region))) has no Mesh-pallet LoRaRegion")
        }
        let arguments = MeshNodeArguments(
            nodeID: MeshPalletNames.nodeID(radio.node), role: registration.role ?? 3, hardware: registration.hardware ?? 7, region: region,
            latitude: registration.latitude, longitude: registration.longitude, altitude: registration.altitude ?? 0,
            district: registration.district, terrain: registration.terrain ?? 3)
        try MeshPalletNames.validate(arguments)
        guard relayURL() != nil else { throw .invalid("this node has no chain relay to register through") }
        return try await enqueue(.meshRegisterNode(arguments), key: "lora-register-\(MeshPalletNames.nodeID(radio.node))-\(Self.nonce())", route: .chainRelay)
    }

    /// A transaction made on this node: to its own relay, or over LoRa to `gateway`.
    public func submit(_ request: LoRaMeshTransactionRequest, gateway: UInt32?) async throws(BridgeError) -> LoRaChainQueueEntry {
        guard let txHash = Hex.decode(request.txHash), let sender = Hex.decode(request.sender), let recipient = Hex.decode(request.recipient),
              let signatureHash = Hex.decode(request.signatureHash) else {
            throw .invalid("txHash, sender, recipient and signatureHash are hex")
        }
        let tx = LoRaMessage.MeshTransaction(txHash: txHash, txType: request.txType, sender: sender, recipient: recipient, amount: request.amount,
                                             nonce: request.nonce, signatureHash: signatureHash)
        guard tx.isValid else {
            throw .invalid("txHash and signatureHash are 32 bytes (signatureHash not all zero), sender and recipient 4, txType 0…4")
        }
        if let gateway {
            guard let bridge, let radio = await bridge.radioIdentity() else { throw .radioUnavailable }
            guard gateway != radio.node else { throw .invalid("the gateway is this node: leave gateway out") }
            guard await bridge.knows(gateway) else { throw .unknownPeer(gateway) }
            return try await enqueue(Self.call(tx, gateway: gateway, hops: 0, rssi: 0, snr: 0), key: Self.key(tx), route: .gateway(gateway))
        }
        guard relayURL() != nil else { throw .invalid("this node has no chain relay: name a gateway node") }
        guard let bridge, let radio = await bridge.radioIdentity() else { throw .radioUnavailable }
        return try await enqueue(Self.call(tx, gateway: radio.node, hops: 0, rssi: 0, snr: 0), key: Self.key(tx), route: .chainRelay)
    }

    /// A transaction heard from `node`: queued for this node's relay if it has one. True once
    /// it is durable here (the sender is told, and stops asking).
    func acceptFromRadio(_ tx: LoRaMessage.MeshTransaction, gateway: UInt32, hops: Int, rssi: Int32, snr: Float) async -> Bool? {
        guard relayURL() != nil else { return false }
        let call = Self.call(tx, gateway: gateway, hops: hops, rssi: rssi, snr: snr)
        do {
            try await enqueue(call, key: Self.key(tx), route: .chainRelay)
            return true
        } catch {
            // Not durable: no answer, so the sender asks again.
            logger.warning("a mesh transaction could not be queued", metadata: ["error": "\(error)"])
            return nil
        }
    }

    static func key(_ tx: LoRaMessage.MeshTransaction) -> String { "lora-meshtx-" + Hex.encode(tx.txHash) }

    static func call(_ tx: LoRaMessage.MeshTransaction, gateway: UInt32, hops: Int, rssi: Int32, snr: Float) -> ChainCall {
        .meshTransaction(MeshTransactionArguments(
            txHash: Hex.encode(tx.txHash), txType: tx.txType, senderCompact: Hex.encode(tx.sender), recipientCompact: Hex.encode(tx.recipient),
            amount: tx.amount, nonce: tx.nonce, signatureHash: Hex.encode(tx.signatureHash), gatewayNodeID: MeshPalletNames.nodeID(gateway),
            relayPath: [], hopCount: UInt8(clamping: hops), rssi: Int16(clamping: rssi), snr: Int16(clamping: Int(snr.isFinite ? snr.rounded() : 0))))
    }

    private static func nonce() -> String { Hex.encode((0..<4).map { _ in UInt8.random(in: 0...255) }) }

    // MARK: Handing on

    /// Hands queued calls on until cancelled: at once when one is added, otherwise with a
    /// back-off from 5 s to 5 minutes while the relay or the gateway cannot be reached.
    public func run() async {
        guard let wakes else { return }
        var iterator = wakes.makeAsyncIterator()
        var backoff = 5.0
        while !Task.isCancelled {
            let allDelivered = await deliverPending()
            if allDelivered {
                backoff = 5
                guard await iterator.next() != nil else { return }
            } else {
                let timer = Task { [wake, backoff] in
                    guard (try? await Task.sleep(for: .seconds(backoff))) != nil else { return }
                    wake?.yield()
                }
                defer { timer.cancel() }
                guard await iterator.next() != nil else { return }
                backoff = min(backoff * 2, 300)
            }
        }
    }

    /// One pass over the queue; true when nothing is left waiting.
    private func deliverPending() async -> Bool {
        let pending: [MeshQueueStore.Entry]
        do { pending = try await store.pending() } catch { return false }
        var left = false
        for var entry in pending {
            guard !Task.isCancelled else { return false }
            entry.attempts += 1
            entry.updatedAt = MeshQueueStore.now()
            switch entry.route {
            case .chainRelay: await hand(&entry)
            case .gateway(let node): await forward(&entry, to: node)
            }
            if entry.state == .queued { left = true }
            do { try await store.update(entry) } catch { left = true }
        }
        return !left
    }

    private func hand(_ entry: inout MeshQueueStore.Entry) async {
        guard let base = relayURL() else {
            entry.lastError = "no chain relay known"
            return
        }
        do {
            let request = try ServiceRequest.json(.POST, "/internal/v1/submissions", body: SubmissionRequest(idempotencyKey: entry.key, call: entry.call),
                                                   idempotent: true)
            let record = try await client.send(request, to: base).decode(SubmissionRecord.self)
            entry.state = .handed
            entry.submissionID = record.id
            entry.lastError = nil
            BridgeMetrics.chainCallsHanded.increment()
        } catch {
            entry.lastError = "\(error)"
            // The relay refused the call itself (bad arguments, a key reused for another call): for good.
            if let status = error.status, status == 400 || status == 409 || status == 422 { entry.state = .refused }
        }
    }

    private func forward(_ entry: inout MeshQueueStore.Entry, to gateway: UInt32) async {
        guard case .meshTransaction(let arguments) = entry.call, let tx = Self.transaction(arguments), let bridge else {
            entry.state = .refused
            entry.lastError = "only mesh transactions go to a gateway"
            return
        }
        switch await bridge.forward(tx, to: gateway) {
        case .success(true):
            entry.state = .forwarded
            entry.lastError = nil
        case .success(false):
            entry.state = .refused
            entry.lastError = "\(LoRaNodeText.id(gateway)) is not a gateway (it has no chain relay)"
        case .failure(let error):
            entry.lastError = "\(error)"
        }
    }

    static func transaction(_ arguments: MeshTransactionArguments) -> LoRaMessage.MeshTransaction? {
        guard let txHash = Hex.decode(arguments.txHash), let sender = Hex.decode(arguments.senderCompact),
              let recipient = Hex.decode(arguments.recipientCompact), let signatureHash = Hex.decode(arguments.signatureHash) else { return nil }
        let tx = LoRaMessage.MeshTransaction(txHash: txHash, txType: arguments.txType, sender: sender, recipient: recipient,
                                             amount: arguments.amount, nonce: arguments.nonce, signatureHash: signatureHash)
        return tx.isValid ? tx : nil
    }

    // MARK: Heartbeats

    /// Queues `Mesh.node_heartbeat` every interval once this node is registered (one at a
    /// time: a heartbeat still waiting is not joined by another).
    public func heartbeats() async {
        guard heartbeatIntervalSeconds > 0 else { return }
        while !Task.isCancelled {
            guard (try? await Task.sleep(for: .seconds(heartbeatIntervalSeconds))) != nil else { return }
            guard let bridge, let radio = await bridge.radioIdentity(),
                  (try? await store.registered()) == true, (try? await store.heartbeatQueued()) == false else { continue }
            let node = MeshPalletNames.nodeID(radio.node)
            _ = try? await enqueue(.meshHeartbeat(nodeID: node), key: "lora-heartbeat-\(node)-\(Int64(Date().timeIntervalSince1970))", route: .chainRelay)
        }
    }

    // MARK: Status

    public func queue() async throws(BridgeError) -> LoRaChainQueue {
        do {
            return LoRaChainQueue(entries: try await store.latest().map(\.record), pending: try await store.pendingCount(), chainRelay: relayURL())
        } catch { throw .unavailable("the bridge's database: \(error)") }
    }
}

/// The Mesh pallet's names for what the radio knows (reference: belizechain.md, Mesh).
enum MeshPalletNames {
    /// A Meshtastic node number as the pallet's 4-byte node id, hex.
    static func nodeID(_ node: UInt32) -> String { Hex.encode(withUnsafeBytes(of: node.bigEndian, Array.init)) }

    /// Meshtastic `Config.LoRaConfig.RegionCode` to the pallet's LoRaRegion (US915 0, EU868 1,
    /// CN433 2, AU915 3, IN865 4, JP920 5, KR920 6, AS923 7); nil for bands it does not name.
    static func region(meshtasticRegion code: Int) -> UInt8? {
        switch code {
        case 1: 0  // US
        case 3: 1  // EU_868
        case 4: 2  // CN
        case 6: 3  // ANZ
        case 10: 4  // IN
        case 5: 5  // JP
        case 7: 6  // KR
        case 8, 12, 17, 18, 21: 7  // TW, TH, MY_919, SG_923, PH_915: AS923 plans
        default: nil
        }
    }

    static func validate(_ arguments: MeshNodeArguments) throws(BridgeError) {
        guard arguments.role <= 5 else { throw .invalid("role is 0…5 (MeshNodeRole)") }
        guard arguments.hardware <= 7 else { throw .invalid("hardware is 0…7 (MeshHardware)") }
        guard arguments.district <= 5 else { throw .invalid("district is 0…5 (BelizeDistrict)") }
        guard arguments.terrain <= 7 else { throw .invalid("terrain is 0…7 (TerrainType)") }
        guard abs(Int64(arguments.latitude)) <= 90_000_000, abs(Int64(arguments.longitude)) <= 180_000_000 else {
            throw .invalid("latitude and longitude are degrees × 10⁶ (|latitude| ≤ 90°, |longitude| ≤ 180°)")
        }
    }
}
