import Foundation
import Logging
import PakitContracts
import PakitCore
import PakitIdentity
import PakitMeshtastic
import PakitSQL

/// Pakit over a Meshtastic LoRa mesh: serves small blocks to peers that ask, fetches blocks
/// from peers (selective repeat, optional XOR parity, CID-verified before storing), and keeps
/// its own airtime inside the region's duty cycle.
///
/// Transfers are driven by the requester: it asks with a bitmap of what it holds, the server
/// sends what is missing and keeps no state but a short cache, and the requester asks again
/// for what did not arrive. Every transmission is a fresh radio packet id; fragments are
/// named by (session, index) inside the payload (docs/lora-bridge.md, "Transfers").
public actor LoRaBridge {
    public struct Settings: Sendable {
        /// Device time runs this many times faster than the wall clock (the simulator's speed).
        public var timeScale: Double
        /// Requests in a row without a new fragment before a transfer fails.
        public var maximumRequests: Int
        /// Share of the duty cycle that bulk traffic (fragments) may use; requests may use it all.
        public var bulkShare: Double

        /// How often (device time) the pinned roots are read from storage, and changes announced.
        public var indexIntervalMs: Double
        /// How often (device time) the index is announced unchanged, so peers that missed
        /// updates or started later notice and resync.
        public var indexHeartbeatMs: Double
        /// Ed25519 public keys whose alerts are marked trusted (this node's own always are).
        public var trustedAlertKeys: Set<[UInt8]>

        public init(timeScale: Double = 1, maximumRequests: Int = 12, bulkShare: Double = 0.5, indexIntervalMs: Double = 60_000,
                    indexHeartbeatMs: Double = 900_000, trustedAlertKeys: Set<[UInt8]> = []) {
            self.timeScale = timeScale
            self.maximumRequests = maximumRequests
            self.bulkShare = bulkShare
            self.indexIntervalMs = indexIntervalMs
            self.indexHeartbeatMs = indexHeartbeatMs
            self.trustedAlertKeys = trustedAlertKeys
        }
    }

    struct Transfer {
        var id: String
        var cid: CID
        var peer: UInt32
        var session: UInt16
        /// Unix milliseconds (wall clock): a transfer outlives the process that started it.
        var startedAt: Int64
        var finishedAt: Int64?
        var state: LoRaTransfer.State = .requesting
        var blockSize: Int?
        var parity = 0
        var fragments: [Int: [UInt8]] = [:]
        var have = FragmentSet()
        var requests = 0
        var recovered = 0
        var error: String?
        var relays: Int
        /// The last fragment index the server sends in answer to the latest request (nil until
        /// the shape is known); its arrival ends the round without waiting for a timeout.
        var roundEnd: Int?
        var roundEnded = false
        /// Every data fragment is here (or rebuilt): storing it is under way, no more requests.
        var assembled = false
        /// What the latest request said it had: a first request gets parity too.
        var requestedWith = FragmentSet()
        /// The peer said its duty cycle is spent until then (device time): wait, do not ask.
        var busyUntilMs: Double?
        var waits = 0
        /// Requests in a row that brought nothing new: the transfer fails at the limit. Rounds
        /// that make progress do not count, so a large block on a lossy link gets there.
        var stalledRounds = 0

        var total: Int? { blockSize.map { LoRaMessage.dataFragmentCount(blockSize: $0) + parity } }
        var dataCount: Int? { blockSize.map { LoRaMessage.dataFragmentCount(blockSize: $0) } }

        /// The API's view; elapsed time in device time (wall clock × the time scale).
        func record(timeScale: Double) -> LoRaTransfer {
            LoRaTransfer(
                id: id, cid: cid.string, peer: LoRaNodeID(number: peer), state: state, size: blockSize,
                fragmentsReceived: have.count, fragmentsTotal: total, requests: requests, recoveredFromParity: recovered,
                elapsedMs: finishedAt.map { Double($0 - startedAt) * timeScale }, error: error
            )
        }
    }

    struct ServedBlock {
        var cid: CID
        var blockSize: Int
        var data: [[UInt8]]
        var parity: [[UInt8]]
        var sending = false
        var lastUsedMs: Double
        /// When the fragments of the latest answer will have left the radio (device time): a
        /// request repeated before then is answered by what is already queued.
        var answeringUntilMs: Double = 0
    }

    struct ServedKey: Hashable {
        var peer: UInt32
        var session: UInt16
    }

    public let device: MeshtasticDevice
    public let settings: Settings
    let blocks: any BlockSource
    let store: TransferStore
    let indexStore: IndexStore
    let alertStore: AlertStore
    let identity: NodeIdentity
    let logger: Logger
    var snapshot: DeviceSnapshot?
    var ledger = AirtimeLedger()
    let airtimeStore: AirtimeStore
    /// Airtime heard and sent over the last minute: the channel use that sets a sender's
    /// random access delay (the firmware's contention window), so waits follow the channel.
    var channel = ChannelActivity()
    /// Airtime of others' frames heard over the last minute.
    var heard = ChannelActivity()
    /// The device's latest DeviceMetrics (every minute): channel utilisation over the last
    /// minute, its own transmit share of the last hour (relays and ACKs included), when.
    var deviceMetrics: (channelUtilization: Double, airUtilTx: Double, atMs: Double)?
    var lossEstimate = 0.0
    var transfers: [String: Transfer] = [:]
    var sessions: [UInt16: String] = [:]
    var served: [ServedKey: ServedBlock] = [:]
    var progress: [String: CheckedContinuation<Void, Never>] = [:]
    /// Sends waiting for the device's word on delivery (an ACK, an implicit ACK or an error),
    /// by packet id.
    var deliveryWaiters: [UInt32: CheckedContinuation<MeshtasticRouting.Error?, Never>] = [:]
    var deliveryResults: [UInt32: MeshtasticRouting.Error] = [:]

    // Index announcements (LoRaBridge+Index.swift).
    var ownIndex = LoRaIndex()
    var ownSequence: UInt16 = 0
    var lastHeartbeatMs = -Double.infinity
    var heartbeatDelayMs = 0.0
    var peerIndexes: [UInt32: PeerIndex] = [:]
    var resyncAskedMs: [UInt32: Double] = [:]
    var snapshotSentMs = -Double.infinity
    var snapshotPending = false

    // Emergency alerts (LoRaBridge+Alerts.swift).
    var alerts: [AlertKey: StoredAlert] = [:]
    var repeatingAlerts: Set<AlertKey> = []
    /// Alerts waiting to be relayed, with how often each was heard so far.
    var alertEchoes: [AlertKey: Int] = [:]
    var relayTimes: [(publicKey: [UInt8], atMs: Double)] = []

    // The Mesh-pallet queue (LoRaBridge+Mesh.swift).
    var meshQueue: MeshPalletQueue?
    var receiptWaiters: [[UInt8]: CheckedContinuation<Bool?, Never>] = [:]
    var meshTransactionTimes: [(node: UInt32, atMs: Double)] = []

    /// Whole minutes until `airtime` fits the bulk share again (old minutes leave the hour).
    func bulkWaitMinutes(for airtime: Double) -> UInt8 {
        let now = nowMs()
        for minutes in 1...60 {
            let then = now + Double(minutes) * AirtimeLedger.minuteMs
            if fitsDutyCycle(airtimeMs: airtime, at: then, fraction: settings.bulkShare) {
                return UInt8(minutes)
            }
        }
        return 60
    }

    var driving: Set<String> = []
    var completing: Set<String> = []

    init(device: MeshtasticDevice, blocks: any BlockSource, database: any SQLDatabase, identity: NodeIdentity, settings: Settings = .init(), logger: Logger) {
        self.device = device
        self.blocks = blocks
        self.store = TransferStore(database: database)
        self.indexStore = IndexStore(database: database)
        self.alertStore = AlertStore(database: database)
        self.airtimeStore = AirtimeStore(database: database)
        self.identity = identity
        self.settings = settings
        self.logger = logger
    }

    /// Loads the transfers a previous run left (those still requesting resume once the radio
    /// is connected).
    func restore() async throws {
        for transfer in try await store.load() {
            transfers[transfer.id] = transfer
            if transfer.state == .requesting { sessions[transfer.session] = transfer.id }
        }
        try await restoreIndexes()
        try await restoreAlerts()
        ledger = try await airtimeStore.ledger(atDeviceMs: nowMs())
    }

    // MARK: Time

    /// Device-time milliseconds: Unix time scaled, so the airtime ledger's minutes are the
    /// same across restarts of the bridge.
    func nowMs() -> Double {
        Date().timeIntervalSince1970 * 1000 * settings.timeScale
    }

    /// Sleeps for device-time milliseconds; false when cancelled.
    nonisolated func sleep(deviceMs: Double) async -> Bool {
        let seconds = max(deviceMs, 0) / 1000 / settings.timeScale
        return (try? await Task.sleep(for: .seconds(seconds))) != nil
    }

    var modulation: LoRaModulation { snapshot?.modulation ?? .longFast }

    var dutyCyclePercent: Double {
        guard let lora = snapshot?.lora else { return 100 }
        return lora.overrideDutyCycle ? 100 : RegionDutyCycle.percent(regionCode: lora.region.rawValue)
    }

    // MARK: Running

    /// Connects (and reconnects, with back-off) and handles what the radio hears, until cancelled.
    public func run() async {
        var events = device.events.makeAsyncIterator()
        var backoff = 1.0
        while !Task.isCancelled {
            do {
                snapshot = try await device.connect()
                backoff = 1
                resumeTransfers()
                resumeAlerts()
                logger.notice("radio connected", metadata: [
                    "node": "\(LoRaNodeText.id(snapshot?.myNodeNumber ?? 0))", "endpoint": "\(device.endpoint)",
                    "preset": "\(RadioNames.presetName(snapshot?.lora.modemPreset.rawValue ?? 0))",
                ])
            } catch {
                logger.warning("radio unavailable", metadata: ["endpoint": "\(device.endpoint)", "error": "\(error)"])
                guard (try? await Task.sleep(for: .seconds(backoff))) != nil else { return }
                backoff = min(backoff * 2, 30)
                continue
            }
            while let event = await events.next() {
                if case .disconnected = event { break }
                await handle(event)
            }
            snapshot = nil
            if Task.isCancelled { break }
            logger.warning("radio disconnected; reconnecting", metadata: ["endpoint": "\(device.endpoint)"])
        }
        await device.disconnect()
    }

    func handle(_ event: DeviceEvent) async {
        switch event {
        case .packet(let packet):
            snapshot = await device.snapshot ?? snapshot
            if case .decoded(let data)? = packet.payloadVariant, packet.from != snapshot?.myNodeNumber {
                let onAir = PayloadLimits.onAirBytes(encodedDataLength: PayloadLimits.encodedDataLength(payloadLength: data.payload.count,
                                                     portNumber: data.portnum.rawValue), pki: packet.pkiEncrypted)
                channel.record(airtimeMs: modulation.timeOnAirMs(payloadBytes: onAir), at: nowMs())
                heard.record(airtimeMs: modulation.timeOnAirMs(payloadBytes: onAir), at: nowMs())
            }
            if case .decoded(let data)? = packet.payloadVariant, data.portnum == .telemetryApp, packet.from == snapshot?.myNodeNumber,
               let telemetry = try? MeshtasticTelemetry(serializedBytes: data.payload), case .deviceMetrics(let metrics)? = telemetry.variant {
                learn(metrics)
                return
            }
            if case .decoded(let data)? = packet.payloadVariant, data.portnum == .routingApp, packet.from == snapshot?.myNodeNumber,
               let routing = try? MeshtasticRouting(serializedBytes: data.payload), case .errorReason(let reason)? = routing.variant {
                // The device's word on one of our sends: delivered (or relayed, for a broadcast) or not.
                deliver(reason, for: data.requestID)
                return
            }
            guard case .decoded(let data)? = packet.payloadVariant, data.portnum == .privateApp,
                  packet.from != snapshot?.myNodeNumber else { return }
            BridgeMetrics.framesReceived.increment()
            let message: LoRaMessage
            do { message = try LoRaMessage.decode(Array(data.payload)) } catch {
                BridgeMetrics.malformedFrames.increment()
                logger.debug("malformed LoRa frame", metadata: ["from": "\(LoRaNodeText.id(packet.from))", "error": "\(error)"])
                return
            }
            let relays = packet.hopStart >= packet.hopLimit ? Int(packet.hopStart - packet.hopLimit) : 0
            switch message {
            case .fetchRequest(let request):
                Task { await self.serve(request, to: packet.from, relays: relays) }
            case .fragment(let fragment):
                receive(fragment, from: packet.from, relays: relays)
            case .refusal(let session, let reason):
                guard let id = sessions[session], transfers[id]?.peer == packet.from else { return }
                finish(id, error: "the peer refused: \(reason)")
            case .busy(let session, let minutes):
                guard let id = sessions[session], transfers[id]?.peer == packet.from else { return }
                transfers[id]?.busyUntilMs = nowMs() + Double(minutes) * AirtimeLedger.minuteMs
                signal(id)
            case .indexUpdate(let update):
                await receive(update, from: packet.from, relays: relays)
            case .indexResync:
                requestSnapshot()
            case .indexSnapshot(let part):
                await receive(part, from: packet.from)
            case .alert(let alert):
                await receive(alert, from: packet.from, relays: relays, hopsLeft: Int(packet.hopLimit))
            case .meshTransaction(let tx):
                Task { await self.receive(tx, from: packet.from, relays: relays, rssi: packet.rxRssi, snr: packet.rxSnr) }
            case .meshReceipt(let prefix, let accepted):
                receiptWaiters.removeValue(forKey: Self.receiptKey(gateway: packet.from, txHashPrefix: prefix))?.resume(returning: accepted)
            }
        case .nodeUpdated, .queueStatus, .notification, .disconnected:
            snapshot = await device.snapshot ?? snapshot
        }
    }

    // MARK: Sending

    /// Airtime of a PRIVATE_APP payload on air (header, encoded Data, PKI overhead on unicast).
    func airtimeMs(payloadLength: Int, unicast: Bool) -> Double {
        let onAir = PayloadLimits.onAirBytes(encodedDataLength: PayloadLimits.encodedDataLength(payloadLength: payloadLength), pki: unicast)
        return modulation.timeOnAirMs(payloadBytes: onAir)
    }

    /// Sends one frame once the duty cycle allows it (bulk traffic within its share), so the
    /// device never has to refuse it; the radio packet id it went out with.
    @discardableResult
    func send(_ message: LoRaMessage, to destination: UInt32, hopLimit: UInt32, bulk: Bool, wantAck: Bool = false) async throws(RadioError) -> UInt32 {
        let payload = message.encoded()
        let unicast = destination != MeshtasticAddress.broadcast
        let airtime = airtimeMs(payloadLength: payload.count, unicast: unicast)
        if bulk { guard await deferWhileChannelBusy() else { throw .disconnected } }
        while !fitsDutyCycle(airtimeMs: airtime, at: nowMs(), fraction: bulk ? settings.bulkShare : 1) {
            BridgeMetrics.dutyCycleWaits.increment()
            // Old minutes leave the hour one at a time: look again at the next minute.
            let wait = AirtimeLedger.minuteMs - nowMs().truncatingRemainder(dividingBy: AirtimeLedger.minuteMs) + 1
            guard await sleep(deviceMs: wait) else { throw .disconnected }
        }
        var data = MeshtasticDataPayload()
        data.portnum = .privateApp
        data.payload = Data(payload)
        var packet = MeshtasticMeshPacket()
        packet.to = destination
        packet.decoded = data
        packet.hopLimit = min(hopLimit, UInt32(MACTiming.maximumHopLimit))
        packet.priority = bulk ? .background : .default
        packet.wantAck = wantAck
        do {
            let id = try await device.send(packet)
            let now = nowMs()
            ledger.record(transmitMs: airtime, at: now)
            channel.record(airtimeMs: airtime, at: now)
            try? await airtimeStore.record(transmitMs: airtime, atDeviceMs: now)
            return id
        } catch {
            BridgeMetrics.deviceRefusals.increment()
            throw error
        }
    }

    // MARK: Channel and duty cycle

    /// Bulk traffic waits while the channel is busy with others' traffic: at or above the
    /// firmware's polite 25 %, checked every 5 s, for at most a minute (device time) per send.
    /// A fetch request that comes while it is busy is answered `busy` for a minute instead.
    static let maximumDeferralMs = 60_000.0

    func learn(_ metrics: MeshtasticDeviceMetrics) {
        deviceMetrics = (Double(metrics.channelUtilization), Double(metrics.airUtilTx), nowMs())
    }

    /// Channel use by others over the last minute, in percent: the airtime of what this radio
    /// decoded from other senders. Not the device's own channel utilisation: that counts this
    /// bridge's sends and the relays of them, and a server would defer to its own transfer.
    func busyChannelPercent() -> Double {
        heard.utilizationPercent(at: nowMs())
    }

    /// Whether `airtimeMs` more fits `fraction` of the region's duty cycle at `nowMs`: this
    /// bridge's ledger plus what the device spent beyond it. Every send and answer asks this.
    func fitsDutyCycle(airtimeMs: Double, at nowMs: Double, fraction: Double) -> Bool {
        ledger.canSend(airtimeMs: airtimeMs + deviceExtraAirtimeMs(), at: nowMs, dutyCyclePercent: dutyCyclePercent, fraction: fraction)
    }

    /// What the device transmitted in the last hour beyond what this bridge booked (relays, ACKs,
    /// another client's sends, a previous run's): counted against the duty cycle too.
    func deviceExtraAirtimeMs() -> Double {
        let now = nowMs()
        guard let report = deviceMetrics, now - report.atMs <= 75_000 else { return 0 }
        return max(report.airUtilTx / 100 * AirtimeLedger.hourMs - ledger.usedMs(at: now), 0)
    }

    /// False when cancelled.
    func deferWhileChannelBusy() async -> Bool {
        var waited = 0.0
        while busyChannelPercent() >= ChannelActivity.politeUtilizationPercent, waited < Self.maximumDeferralMs {
            BridgeMetrics.busyChannelDeferrals.increment()
            guard await sleep(deviceMs: 5000) else { return false }
            waited += 5000
        }
        return true
    }

    // MARK: Status

    public func status() async -> RadioStatus {
        let slots = await device.queueSlots
        let now = nowMs()
        return RadioStatus(
            endpoint: device.endpoint.description, connected: snapshot != nil,
            node: snapshot.map { LoRaNodeID(number: $0.myNodeNumber) }, firmwareVersion: snapshot?.metadata.firmwareVersion,
            preset: snapshot.map { RadioNames.presetName($0.lora.modemPreset.rawValue) },
            region: snapshot.map { RadioNames.regionName($0.lora.region.rawValue) }, hopLimit: snapshot.map { Int($0.hopLimit) },
            airtimeLastHourMs: ledger.usedMs(at: now), dutyCyclePercent: dutyCyclePercent,
            dutyCycleHeadroomMs: min(max(ledger.headroomMs(at: now, dutyCyclePercent: dutyCyclePercent) - deviceExtraAirtimeMs(), 0), 3_600_000),
            linkLossEstimate: lossEstimate, queueFree: slots.free, queueLength: slots.maximum,
            activeTransfers: transfers.values.filter { $0.state == .requesting }.count, timeScale: settings.timeScale,
            indexEntries: ownIndex.count, indexSequence: Int(ownSequence), channelUtilizationPercent: busyChannelPercent(),
            deviceChannelUtilizationPercent: deviceMetrics?.channelUtilization, deviceAirUtilTxPercent: deviceMetrics?.airUtilTx
        )
    }

    public func peers() -> [LoRaPeer] {
        guard let snapshot else { return [] }
        return snapshot.nodes.values.sorted { $0.num < $1.num }.map { node in
            LoRaPeer(
                node: LoRaNodeID(number: node.num), longName: node.user.longName, shortName: node.user.shortName,
                hasPublicKey: node.user.publicKey.count == 32, hopsAway: node.hasHopsAway ? Int(node.hopsAway) : nil,
                snr: node.snr == 0 ? nil : Double(node.snr), lastHeard: node.lastHeard == 0 ? nil : node.lastHeard,
                indexEntries: peerIndexes[node.num].map { $0.index.count }, indexInStep: peerIndexes[node.num].map(\.synced)
            )
        }
    }
}
