import PakitMeshtastic

/// Mesh-pallet transactions over LoRa: an off-grid node sends one to a gateway, which answers
/// once it is durable in its queue for the chain relay (`MeshPalletQueue`).
extension LoRaBridge {
    func attach(_ queue: MeshPalletQueue) { meshQueue = queue }

    /// This node's radio: its node number and region code (nil while not connected).
    func radioIdentity() -> (node: UInt32, region: Int)? {
        snapshot.map { ($0.myNodeNumber, $0.lora.region.rawValue) }
    }

    /// A forward waiting for its receipt: the gateway and the first 8 bytes of the hash it names.
    static func receiptKey(gateway: UInt32, txHashPrefix: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: gateway.bigEndian, Array.init) + txHashPrefix
    }

    /// Whether the device's node database has `node` (a gateway must have been heard).
    func knows(_ node: UInt32) -> Bool { snapshot?.nodes[node] != nil }

    /// Sends `tx` to `gateway` and waits for its receipt: true (queued there), false (it has
    /// no chain relay), or an error when no answer came (the caller tries again later).
    func forward(_ tx: LoRaMessage.MeshTransaction, to gateway: UInt32) async -> Result<Bool, BridgeError> {
        guard let snapshot else { return .failure(.radioUnavailable) }
        guard snapshot.nodes[gateway] != nil else { return .failure(.unknownPeer(gateway)) }
        guard snapshot.publicKey(of: gateway) != nil else { return .failure(.peerKeyUnknown(gateway)) }
        let relays = snapshot.nodes[gateway].map { $0.hasHopsAway ? Int($0.hopsAway) : Int(snapshot.hopLimit) } ?? Int(snapshot.hopLimit)
        let waiterKey = Self.receiptKey(gateway: gateway, txHashPrefix: Array(tx.txHash.prefix(8)))
        do {
            try await send(.meshTransaction(tx), to: gateway, hopLimit: UInt32(min(relays, MACTiming.maximumHopLimit)), bulk: false)
        } catch {
            return .failure(.unavailable("\(error)"))
        }
        let timeout = firstFragmentWaitMs(relays: relays)
        let timer = Task { [weak self] in
            guard let self, await self.sleep(deviceMs: timeout) else { return }
            await self.expireReceipt(waiterKey)
        }
        defer { timer.cancel() }
        let answer: Bool? = await withCheckedContinuation { continuation in
            receiptWaiters.removeValue(forKey: waiterKey)?.resume(returning: nil)
            receiptWaiters[waiterKey] = continuation
        }
        guard let answer else { return .failure(.unavailable("no receipt from \(LoRaNodeText.id(gateway))")) }
        return .success(answer)
    }

    private func expireReceipt(_ key: [UInt8]) {
        receiptWaiters.removeValue(forKey: key)?.resume(returning: nil)
    }

    /// Transactions a gateway takes from the radio per sending node and in all, per hour of
    /// device time: each becomes an extrinsic the relay's account pays for. Over the limit the
    /// gateway does not answer, and the sender tries again later.
    static let meshTransactionsPerNodePerHour = 30
    static let meshTransactionsPerHour = 200

    func receive(_ tx: LoRaMessage.MeshTransaction, from node: UInt32, relays: Int, rssi: Int32, snr: Float) async {
        guard let meshQueue, let me = snapshot?.myNodeNumber else { return }
        let now = nowMs()
        meshTransactionTimes.removeAll { now - $0.atMs >= 3_600_000 }
        guard meshTransactionTimes.count < Self.meshTransactionsPerHour,
              meshTransactionTimes.filter({ $0.node == node }).count < Self.meshTransactionsPerNodePerHour else {
            BridgeMetrics.meshTransactionsLimited.increment()
            return
        }
        meshTransactionTimes.append((node: node, atMs: now))
        guard let accepted = await meshQueue.acceptFromRadio(tx, gateway: me, hops: relays, rssi: rssi, snr: snr) else { return }
        BridgeMetrics.meshTransactionsHeard.increment()
        _ = try? await send(.meshReceipt(txHashPrefix: Array(tx.txHash.prefix(8)), accepted: accepted), to: node,
                            hopLimit: UInt32(min(relays, MACTiming.maximumHopLimit)), bulk: false)
    }
}
