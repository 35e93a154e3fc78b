import Foundation
import PakitContracts
import PakitCore
import PakitIdentity
import PakitMeshtastic

/// Emergency broadcast: a short message signed with the node's Ed25519 key, flooded over the
/// mesh, repeated with back-off until a neighbour is heard relaying it (the device's implicit
/// ACK), and kept and shown by every node that hears it (docs/lora-bridge.md, "Alerts").
extension LoRaBridge {
    struct AlertKey: Hashable, Sendable {
        var publicKey: [UInt8]
        var id: UInt32
    }

    struct StoredAlert: Sendable {
        var alert: LoRaMessage.Alert
        var heardFrom: UInt32
        /// Unix seconds.
        var receivedAt: Int64
        var own: Bool
        var transmissions: Int
        var relayHeard: Bool
        var key: AlertKey { AlertKey(publicKey: alert.publicKey, id: alert.id) }
    }

    /// Rounds of an own alert (each is the device's three attempts) before it stops repeating,
    /// and the pause after the first round; each later pause doubles.
    static let alertRounds = 5
    static let alertFirstBackoffMs = 30_000.0
    /// A bridge that hears a new alert broadcasts it once more to its neighbours after a random
    /// wait of up to this many alert airtimes. The mesh's own flood, thinned by managed flooding
    /// and loss, leaves holes near its edge; inside it, a bridge that heard the alert
    /// `relayThreshold` times by then stays silent (counter-based suppression). At the edge
    /// (the alert arrived with at most one hop left) it always relays: its devices' flood ends
    /// there, and a neighbour beyond may have no other way to hear it.
    static let relayWindowAirtimes = 8.0
    static let relayThreshold = 3
    /// Relays per issuer key and in all over an hour of device time: a stranger's keys cannot
    /// turn every bridge into an amplifier (40 relays of a longest alert are about 2.4 % of an hour),
    /// while an authority's alerts during an emergency all go on.
    static let relaysPerKeyPerHour = 20
    static let relaysPerHour = 40

    var ownAlertKey: [UInt8] { Array(identity.publicKey.rawRepresentation) }

    func restoreAlerts() async throws {
        for stored in try await alertStore.load(ownKey: ownAlertKey) { alerts[stored.key] = stored }
    }

    /// Own alerts that were still repeating when the bridge stopped go on once the radio is back.
    func resumeAlerts() {
        for (key, stored) in alerts where stored.own && !stored.relayHeard && stored.transmissions < Self.alertRounds && !repeatingAlerts.contains(key) {
            repeatingAlerts.insert(key)
            Task { await self.repeatAlert(key) }
        }
    }

    /// Signs, keeps and starts broadcasting an alert; returns once it is durable.
    public func issueAlert(message: String, severity: Int) async throws(BridgeError) -> LoRaAlert {
        guard let snapshot else { throw .radioUnavailable }
        let text = Array(message.utf8)
        guard !text.isEmpty, text.count <= LoRaMessage.maximumAlertMessage else {
            throw .invalid("the message must be 1 to \(LoRaMessage.maximumAlertMessage) bytes of UTF-8 (it is \(text.count))")
        }
        guard (0...4).contains(severity) else { throw .invalid("severity must be 0 (advisory) to 4 (catastrophic)") }
        var alert = LoRaMessage.Alert(
            id: UInt32.random(in: 1...UInt32.max), issuedAt: UInt32(clamping: Int64(Date().timeIntervalSince1970)),
            severity: UInt8(severity), message: text, publicKey: ownAlertKey, signature: [])
        do { alert.signature = try identity.sign(alert.signedBytes) } catch { throw .unavailable("signing: \(error)") }
        let stored = StoredAlert(alert: alert, heardFrom: snapshot.myNodeNumber, receivedAt: Int64(Date().timeIntervalSince1970),
                                 own: true, transmissions: 0, relayHeard: false)
        do { try await alertStore.insert(stored) } catch { throw .unavailable("the bridge's database: \(error)") }
        alerts[stored.key] = stored
        repeatingAlerts.insert(stored.key)
        Task { await self.repeatAlert(stored.key) }
        return record(stored)
    }

    private func repeatAlert(_ key: AlertKey) async {
        defer { repeatingAlerts.remove(key) }
        var backoff = Self.alertFirstBackoffMs
        while let stored = alerts[key], !stored.relayHeard, stored.transmissions < Self.alertRounds {
            if snapshot != nil {
                let packetTime = airtimeMs(payloadLength: LoRaMessage.alert(stored.alert).encoded().count, unicast: false)
                do {
                    let id = try await send(.alert(stored.alert), to: MeshtasticAddress.broadcast, hopLimit: snapshot?.hopLimit ?? 3,
                                            bulk: false, wantAck: true)
                    BridgeMetrics.alertTransmissions.increment()
                    alerts[key]?.transmissions += 1
                    // The device tries three times; a relay heard on any of them is the implicit ACK.
                    let timeout = Double(MACTiming.reliableAttempts)
                        * MACTiming.retransmissionTimeoutMs(modulation: modulation, packetTimeOnAirMs: packetTime, channelUtilizationPercent: 100)
                    let outcome = await waitForDelivery(id, deviceMs: timeout)
                    if outcome == MeshtasticRouting.Error.none { alerts[key]?.relayHeard = true }
                } catch {
                    logger.info("alert not sent", metadata: ["error": "\(error)"])
                }
                if let current = alerts[key] { try? await alertStore.saveDelivery(current) }
                if alerts[key]?.relayHeard == true { return }
            }
            guard await sleep(deviceMs: backoff) else { return }
            backoff *= 2
        }
    }

    /// The device's word on a send with want_ack (nil: none within `deviceMs`).
    func waitForDelivery(_ id: UInt32, deviceMs: Double) async -> MeshtasticRouting.Error? {
        if let early = deliveryResults.removeValue(forKey: id) { return early }
        let timer = Task { [weak self] in
            guard let self, await self.sleep(deviceMs: deviceMs) else { return }
            await self.expireDelivery(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            if let early = deliveryResults.removeValue(forKey: id) {
                continuation.resume(returning: early)
            } else {
                deliveryWaiters[id] = continuation
            }
        }
    }

    private func expireDelivery(_ id: UInt32) {
        deliveryWaiters.removeValue(forKey: id)?.resume(returning: nil)
    }

    /// A routing answer for one of our packets: to its waiter, or kept briefly for a waiter to come.
    func deliver(_ reason: MeshtasticRouting.Error, for id: UInt32) {
        if let waiter = deliveryWaiters.removeValue(forKey: id) {
            waiter.resume(returning: reason)
            return
        }
        if deliveryResults.count >= 256 { deliveryResults.removeAll() }
        deliveryResults[id] = reason
    }

    func receive(_ alert: LoRaMessage.Alert, from node: UInt32, relays: Int, hopsLeft: Int) async {
        let key = AlertKey(publicKey: alert.publicKey, id: alert.id)
        guard alerts[key] == nil else {
            // Heard again (another bridge's relay): one more reason not to relay it here.
            if let heard = alertEchoes[key] { alertEchoes[key] = heard + 1 }
            return
        }
        guard NodeIdentity.verify(alert.signature, for: alert.signedBytes, publicKey: alert.publicKey) else {
            BridgeMetrics.alertsRejected.increment()
            logger.info("alert with a bad signature dropped", metadata: ["from": "\(LoRaNodeText.id(node))"])
            return
        }
        let stored = StoredAlert(alert: alert, heardFrom: node, receivedAt: Int64(Date().timeIntervalSince1970),
                                 own: alert.publicKey == ownAlertKey, transmissions: 0, relayHeard: false)
        alerts[key] = stored
        BridgeMetrics.alertsReceived.increment()
        logger.notice("emergency alert", metadata: [
            "from": "\(LoRaNodeText.id(node))", "severity": "\(alert.severity)", "relays": "\(relays)",
            "message": "\(String(decoding: alert.message, as: UTF8.self))",
        ])
        try? await alertStore.insert(stored)
        if !stored.own { scheduleRelay(stored, atEdge: hopsLeft <= 1) }
        if alerts.count > 1000, let oldest = alerts.values.filter({ !$0.own }).min(by: { $0.receivedAt < $1.receivedAt }) {
            alerts[oldest.key] = nil
        }
    }

    private func scheduleRelay(_ stored: StoredAlert, atEdge: Bool) {
        let now = nowMs()
        relayTimes.removeAll { now - $0.atMs >= 3_600_000 }
        guard relayTimes.count < Self.relaysPerHour,
              relayTimes.filter({ $0.publicKey == stored.alert.publicKey }).count < Self.relaysPerKeyPerHour else { return }
        let key = stored.key
        alertEchoes[key] = atEdge ? Int.min : 1
        let airtime = airtimeMs(payloadLength: LoRaMessage.alert(stored.alert).encoded().count, unicast: false)
        let wait = Double.random(in: 0..<(Self.relayWindowAirtimes * airtime))
        Task {
            guard await self.sleep(deviceMs: wait) else { return }
            await self.relay(key)
        }
    }

    private func relay(_ key: AlertKey) async {
        guard let heard = alertEchoes.removeValue(forKey: key), heard < Self.relayThreshold, let stored = alerts[key], snapshot != nil else { return }
        relayTimes.append((publicKey: stored.alert.publicKey, atMs: nowMs()))
        // To neighbours only: each bridge that hears it relays it in turn.
        if (try? await send(.alert(stored.alert), to: MeshtasticAddress.broadcast, hopLimit: 0, bulk: false)) != nil {
            BridgeMetrics.alertRelays.increment()
        }
    }

    func record(_ stored: StoredAlert) -> LoRaAlert {
        let alert = stored.alert
        return LoRaAlert(
            id: Hex.encode(alert.publicKey.prefix(4)) + Hex.encode(withUnsafeBytes(of: alert.id.bigEndian, Array.init)), message: String(decoding: alert.message, as: UTF8.self),
            severity: Int(alert.severity), publicKey: Hex.encode(alert.publicKey),
            trusted: stored.own || settings.trustedAlertKeys.contains(alert.publicKey), own: stored.own,
            heardFrom: LoRaNodeID(number: stored.heardFrom), issuedAt: Int(alert.issuedAt), receivedAt: Int(stored.receivedAt),
            transmissions: stored.transmissions, relayHeard: stored.relayHeard)
    }

    /// `GET /v1/lora/alerts`: newest first.
    public func allAlerts() -> [LoRaAlert] {
        alerts.values.sorted { ($0.receivedAt, $0.alert.id) > ($1.receivedAt, $1.alert.id) }.prefix(200).map(record)
    }
}
