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
    private var ledger = AirtimeLedger()
    let airtimeStore: AirtimeStore
    /// Airtime heard and sent over the last minute: the channel use that sets a sender's
    /// random access delay (the firmware's contention window), so waits follow the channel.
    private var channel = ChannelActivity()
    /// Airtime of others heard, and of this bridge's own sends, over the last minute.
    private var heard = ChannelActivity()
    private var sentRecently = ChannelActivity()
    /// The device's latest DeviceMetrics (every minute): channel utilisation over the last
    /// minute, its own transmit share of the last hour (relays and ACKs included), when.
    private var deviceMetrics: (channelUtilization: Double, airUtilTx: Double, atMs: Double)?
    private var lossEstimate = 0.0
    private var transfers: [String: Transfer] = [:]
    private var sessions: [UInt16: String] = [:]
    private var served: [ServedKey: ServedBlock] = [:]
    private var progress: [String: CheckedContinuation<Void, Never>] = [:]
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
    private func bulkWaitMinutes(for airtime: Double) -> UInt8 {
        let now = nowMs()
        for minutes in 1...60 {
            let then = now + Double(minutes) * AirtimeLedger.minuteMs
            if ledger.canSend(airtimeMs: airtime + deviceExtraAirtimeMs(), at: then, dutyCyclePercent: dutyCyclePercent, fraction: settings.bulkShare) {
                return UInt8(minutes)
            }
        }
        return 60
    }

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

    private func handle(_ event: DeviceEvent) async {
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
                receiptWaiters.removeValue(forKey: [UInt8](withUnsafeBytes(of: packet.from.bigEndian, Array.init)) + prefix)?.resume(returning: accepted)
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
        while !ledger.canSend(airtimeMs: airtime + deviceExtraAirtimeMs(), at: nowMs(), dutyCyclePercent: dutyCyclePercent,
                              fraction: bulk ? settings.bulkShare : 1) {
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
            sentRecently.record(airtimeMs: airtime, at: now)
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

    /// Channel use by others over the last minute, in percent: what this radio heard, or what
    /// the device reported (it hears what is not delivered here: relays, others' unicasts)
    /// less this bridge's own sends.
    func busyChannelPercent() -> Double {
        let now = nowMs()
        let heardPercent = heard.utilizationPercent(at: now)
        guard let report = deviceMetrics, now - report.atMs <= 75_000 else { return heardPercent }
        return max(heardPercent, report.channelUtilization - sentRecently.utilizationPercent(at: now))
    }

    /// What the device transmitted in the last hour beyond what this bridge booked (relays, ACKs,
    /// another client's sends, a previous run's): counted against the duty cycle too.
    func deviceExtraAirtimeMs() -> Double {
        let now = nowMs()
        guard let report = deviceMetrics, now - report.atMs <= 75_000 else { return 0 }
        return max(report.airUtilTx / 100 * AirtimeLedger.hourMs - ledger.usedMs(at: now), 0)
    }

    /// False when cancelled.
    private func deferWhileChannelBusy() async -> Bool {
        var waited = 0.0
        while busyChannelPercent() >= ChannelActivity.politeUtilizationPercent, waited < Self.maximumDeferralMs {
            BridgeMetrics.busyChannelDeferrals.increment()
            guard await sleep(deviceMs: 5000) else { return false }
            waited += 5000
        }
        return true
    }

    // MARK: Serving

    private func serve(_ request: LoRaMessage.FetchRequest, to peer: UInt32, relays: Int) async {
        let key = ServedKey(peer: peer, session: request.session)
        // Exactly as many relays as the request passed: any more and nodes beyond the
        // requester relay the fragments too, spending airtime and colliding.
        let hopLimit = UInt32(min(relays, MACTiming.maximumHopLimit))
        if served[key] == nil {
            let block: [UInt8]?
            do { block = try await blocks.localBlock(request.cid) } catch {
                logger.warning("storage unavailable for a LoRa request", metadata: ["error": "\(error)"])
                await refuse(request.session, .unavailable, to: peer, hopLimit: hopLimit)
                return
            }
            guard let block else {
                await refuse(request.session, .notFound, to: peer, hopLimit: hopLimit)
                return
            }
            guard !block.isEmpty, block.count <= LoRaMessage.maximumBlockSize else {
                await refuse(request.session, .tooLarge, to: peer, hopLimit: hopLimit)
                return
            }
            let data = FragmentCoding.dataFragments(of: block)
            let parityCount = request.have.bits == 0
                ? FragmentCoding.parityCount(dataCount: data.count, estimatedLoss: Double(request.lossPercent) / 100) : 0
            served[key] = ServedBlock(
                cid: request.cid, blockSize: block.count, data: data,
                parity: FragmentCoding.parityFragments(of: data, count: parityCount), lastUsedMs: nowMs()
            )
            evictServed()
        }
        guard var entry = served[key], entry.cid == request.cid else {
            await refuse(request.session, .badRequest, to: peer, hopLimit: hopLimit)
            return
        }
        // A request that repeats while its answer is still going out (or queued in the device)
        // is answered by that: sending it all again would only congest the channel.
        guard !entry.sending, entry.answeringUntilMs <= nowMs() else { return }
        BridgeMetrics.requestsServed.increment()
        entry.sending = true
        entry.lastUsedMs = nowMs()
        served[key] = entry
        defer { served[key]?.sending = false }
        let dataCount = entry.data.count
        var indices = (0..<dataCount).filter { !request.have.contains($0) }
        if request.have.bits == 0 { indices += (0..<entry.parity.count).map { dataCount + $0 } }
        // Only an answer that fits the duty cycle's bulk share now is started; otherwise say
        // when to ask again, so the requester does not spend its own airtime asking.
        let answerAirtime = indices.reduce(0.0) { total, index in
            let length = index < dataCount ? entry.data[index].count : LoRaMessage.fragmentDataLength
            return total + airtimeMs(payloadLength: length + LoRaMessage.fragmentHeaderLength, unicast: true)
        }
        // Others keep the channel busy: the answer waits a minute, and the requester is told so
        // rather than left to spend its requests on silence.
        if busyChannelPercent() >= ChannelActivity.politeUtilizationPercent {
            try? await send(.busy(session: request.session, minutes: 1), to: peer, hopLimit: hopLimit, bulk: false)
            BridgeMetrics.busyChannelDeferrals.increment()
            return
        }
        if !ledger.canSend(airtimeMs: answerAirtime + deviceExtraAirtimeMs(), at: nowMs(), dutyCyclePercent: dutyCyclePercent, fraction: settings.bulkShare) {
            let minutes = bulkWaitMinutes(for: answerAirtime)
            try? await send(.busy(session: request.session, minutes: minutes), to: peer, hopLimit: hopLimit, bulk: false)
            BridgeMetrics.busyAnswers.increment()
            return
        }
        let pacing = pacingMs(relays: relays)
        logger.debug("serving", metadata: ["peer": "\(LoRaNodeText.id(peer))", "session": "\(request.session)", "have": "\(String(request.have.bits, radix: 2))", "sending": "\(indices)"])
        for (position, index) in indices.enumerated() {
            let bytes = index < dataCount ? entry.data[index] : entry.parity[index - dataCount]
            let fragment = LoRaMessage.Fragment(
                session: request.session, index: UInt8(index), parity: UInt8(entry.parity.count),
                blockSize: UInt16(entry.blockSize), bytes: bytes
            )
            do { try await send(.fragment(fragment), to: peer, hopLimit: hopLimit, bulk: true) } catch {
                logger.info("fragment not sent", metadata: ["peer": "\(LoRaNodeText.id(peer))", "error": "\(error)"])
                return
            }
            BridgeMetrics.fragmentsSent.increment()
            let airtime = airtimeMs(payloadLength: bytes.count + LoRaMessage.fragmentHeaderLength, unicast: true)
            let until = max(served[key]?.answeringUntilMs ?? 0, nowMs()) + airtime + busyOwnDelayMs / 2
            served[key]?.answeringUntilMs = until
            if pacing > 0, position + 1 < indices.count { guard await sleep(deviceMs: pacing) else { return } }
        }
    }

    private func refuse(_ session: UInt16, _ reason: LoRaMessage.RefusalReason, to peer: UInt32, hopLimit: UInt32) async {
        BridgeMetrics.refusalsSent.increment()
        try? await send(.refusal(session: session, reason: reason), to: peer, hopLimit: hopLimit, bulk: false)
    }

    private func evictServed() {
        while served.count > 64, let oldest = served.filter({ !$0.value.sending }).min(by: { $0.value.lastUsedMs < $1.value.lastUsedMs })?.key {
            served[oldest] = nil
        }
    }

    /// Pause between fragments so relays can pass each one on before the next arrives: a relay
    /// cannot hear while it transmits, and relays two hops apart do not hear each other.
    func pacingMs(relays: Int) -> Double {
        guard relays > 0 else { return 0 }
        return Double(relays) * (fullFrameMs + meanRebroadcastDelayMs)
    }

    /// A full fragment on air (255 bytes).
    private var fullFrameMs: Double { modulation.timeOnAirMs(payloadBytes: PayloadLimits.maximumLoRaPayload) }
    /// A relay waits 2·CWmax slots, then a random 0..<2^CW(snr) slots: its mean and its worst.
    private var meanRebroadcastDelayMs: Double {
        Double(2 * MACTiming.maximumContentionWindow + (1 << (MACTiming.maximumContentionWindow - 1))) * modulation.slotTimeMs
    }
    private var worstRebroadcastDelayMs: Double {
        Double(2 * MACTiming.maximumContentionWindow + (1 << MACTiming.maximumContentionWindow)) * modulation.slotTimeMs
    }
    /// A sender's own random delay before a transmission: up to 2^CW slots, CW rising from 3 to 8
    /// with channel use, estimated from what this radio hears and sends (plus a margin: the peer
    /// may hear more). `busy` is the delay at a well-used channel (CW 6), for the server's own pace.
    private var busyOwnDelayMs: Double { 64 * modulation.slotTimeMs }
    private var channelOwnDelayMs: Double {
        let window = MACTiming.contentionWindow(channelUtilizationPercent: channel.utilizationPercent(at: nowMs()) + 15)
        return Double(1 << window) * modulation.slotTimeMs
    }

    // MARK: Fetching

    /// Starts fetching `cid` from `peer`, or from the nearest peer that announces it.
    func fetch(_ cid: CID, from peer: UInt32?) throws(BridgeError) -> LoRaTransfer {
        guard let snapshot else { throw .radioUnavailable }
        let target: UInt32
        if let peer {
            guard peer != snapshot.myNodeNumber else { throw .invalid("peer is this node") }
            guard snapshot.nodes[peer] != nil else { throw .unknownPeer(peer) }
            guard snapshot.publicKey(of: peer) != nil else { throw .peerKeyUnknown(peer) }
            target = peer
        } else {
            // The nearest peer whose announced index holds it (and whose key the device knows).
            guard let nearest = providers(of: cid).first else { throw .noPeer }
            target = nearest
        }
        var session: UInt16
        repeat { session = UInt16.random(in: 1...UInt16.max) } while sessions[session] != nil
        var idBytes = [UInt8](repeating: 0, count: 8)
        for index in idBytes.indices { idBytes[index] = UInt8.random(in: 0...255) }
        let id = Hex.encode(idBytes)
        // Relays to the peer, as the device's node database knows it (-1: unknown).
        let relays = snapshot.nodes[target].map { $0.hasHopsAway ? Int($0.hopsAway) : -1 } ?? -1
        let transfer = Transfer(id: id, cid: cid, peer: target, session: session, startedAt: TransferStore.nowMs(), relays: relays)
        transfers[id] = transfer
        sessions[session] = id
        return transfer.record(timeScale: settings.timeScale)
    }

    /// Makes the transfer durable, then drives it: acknowledged means it survives a crash.
    public func startFetch(_ cid: CID, from peer: UInt32?) async throws(BridgeError) -> LoRaTransfer {
        // A block this node already holds is not fetched again: no airtime for nothing.
        if let snapshot, case let local?? = try? await blocks.localBlock(cid) {
            var idBytes = [UInt8](repeating: 0, count: 8)
            for index in idBytes.indices { idBytes[index] = UInt8.random(in: 0...255) }
            var held = Transfer(id: Hex.encode(idBytes), cid: cid, peer: snapshot.myNodeNumber, session: 0, startedAt: TransferStore.nowMs(), relays: 0)
            held.state = .stored
            held.blockSize = local.count
            held.finishedAt = held.startedAt
            do {
                try await store.insert(held)
                try await store.finish(held)
            } catch { throw .unavailable("the bridge's database: \(error)") }
            transfers[held.id] = held
            return held.record(timeScale: settings.timeScale)
        }
        let record = try fetch(cid, from: peer)
        guard let transfer = transfers[record.id] else { throw .invalid("the transfer vanished") }
        do { try await store.insert(transfer) } catch {
            transfers[record.id] = nil
            sessions[transfer.session] = nil
            throw .unavailable("the bridge's database: \(error)")
        }
        driving.insert(record.id)
        Task { await self.drive(record.id) }
        return record
    }

    private var driving: Set<String> = []

    private func resumeTransfers() {
        for (id, transfer) in transfers where transfer.state == .requesting && !driving.contains(id) {
            driving.insert(id)
            Task { await self.drive(id) }
        }
    }

    public func transfer(_ id: String) -> LoRaTransfer? { transfers[id]?.record(timeScale: settings.timeScale) }

    public func allTransfers() -> [LoRaTransfer] {
        transfers.values.sorted { $0.startedAt > $1.startedAt }.prefix(200).map { $0.record(timeScale: settings.timeScale) }
    }

    private func drive(_ id: String) async {
        defer { driving.remove(id) }
        // Resumed after a restart with every fragment already stored: finish, ask nothing.
        if let transfer = transfers[id], let size = transfer.blockSize,
           let block = FragmentCoding.reassemble(blockSize: size, parity: transfer.parity, fragments: transfer.fragments) {
            transfers[id]?.assembled = true
            await complete(id, block: block)
            return
        }
        while let transfer = transfers[id], transfer.state == .requesting {
            guard snapshot != nil else { return }
            if let busyUntil = transfer.busyUntilMs {
                // The peer's airtime is spent for now: wait for it rather than ask again (a
                // wait for a peer's duty cycle does not count against the requests).
                transfers[id]?.busyUntilMs = nil
                transfers[id]?.waits += 1
                guard transfer.waits < 60, await sleep(deviceMs: busyUntil - nowMs()) else {
                    finish(id, error: "the peer's duty cycle stayed spent")
                    return
                }
                continue
            }
            guard transfer.stalledRounds < settings.maximumRequests else {
                finish(id, error: "no answer after \(transfer.stalledRounds) requests in a row (\(transfer.requests) in all)")
                return
            }
            transfers[id]?.requests += 1
            try? await store.countRequest(id, requests: transfer.requests + 1)
            let request = LoRaMessage.FetchRequest(
                session: transfer.session, lossPercent: UInt8(min(max(lossEstimate * 100, 0), 100).rounded()), have: transfer.have, cid: transfer.cid
            )
            let hopLimit = transfer.relays >= 0 ? UInt32(min(transfer.relays, MACTiming.maximumHopLimit)) : (snapshot?.hopLimit ?? 3)
            logger.debug("requesting", metadata: ["session": "\(transfer.session)", "have": "\(String(transfer.have.bits, radix: 2))", "round": "\(transfer.requests + 1)"])
            do { try await send(.fetchRequest(request), to: transfer.peer, hopLimit: hopLimit, bulk: false) } catch {
                if case .refused = error {
                    finish(id, error: "\(error)")
                    return
                }
                // Radio gone or no answer from the device: wait and ask again.
                guard await sleep(deviceMs: 5000) else { return }
                continue
            }
            let before = transfer.have
            let expectedBefore = transfer.total.map { $0 - before.count }
            transfers[id]?.requestedWith = before
            transfers[id]?.roundEnded = false
            let roundEnd = transfers[id].flatMap { Self.roundEnd(of: $0, requestedWith: before) }
            transfers[id]?.roundEnd = roundEnd
            // Wait for fragments; each arrival extends the wait by one fragment's time.
            var deadline = nowMs() + firstFragmentWaitMs(relays: transfer.relays >= 0 ? transfer.relays : Int(hopLimit))
            while let current = transfers[id], current.state == .requesting {
                let remaining = deadline - nowMs()
                guard remaining > 0 else { break }
                let countBefore = current.have.count
                await waitForProgress(id, deviceMs: remaining)
                guard let after = transfers[id], after.state == .requesting else { break }
                if after.busyUntilMs != nil { break }
                if after.assembled {
                    // Verification and storage are under way; they end the transfer.
                    deadline = max(deadline, nowMs() + 60_000 * settings.timeScale)
                    continue
                }
                if after.roundEnded {
                    // The round's last fragment came: ask again for what is missing, at once
                    // from a neighbour (its fragments arrive in order), after the relays' worst
                    // delay otherwise (they can reorder).
                    guard after.relays > 0 else { break }
                    deadline = min(deadline, nowMs() + Double(after.relays) * worstRebroadcastDelayMs)
                    transfers[id]?.roundEnded = false
                    continue
                }
                if after.have.count > countBefore { deadline = nowMs() + nextFragmentWaitMs(relays: max(after.relays, 0)) }
            }
            if let after = transfers[id] {
                transfers[id]?.stalledRounds = after.have.count > before.count || after.busyUntilMs != nil ? 0 : after.stalledRounds + 1
            }
            if let after = transfers[id], let total = after.total {
                // What this round should have brought against what came.
                let expected = expectedBefore ?? total
                let arrived = after.have.count - before.count
                if expected > 0 {
                    let sample = Double(max(expected - arrived, 0)) / Double(expected)
                    lossEstimate = 0.7 * lossEstimate + 0.3 * sample
                }
            }
        }
    }

    private func waitForProgress(_ id: String, deviceMs: Double) async {
        let timer = Task { [weak self] in
            guard let self, await self.sleep(deviceMs: deviceMs) else { return }
            await self.signal(id)
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            if let previous = progress.updateValue(continuation, forKey: id) { previous.resume() }
        }
    }

    private func signal(_ id: String) {
        progress.removeValue(forKey: id)?.resume()
    }

    /// The request out and the first fragment back, across every hop, with each relay's worst
    /// delay, plus the server's storage read.
    func firstFragmentWaitMs(relays: Int) -> Double {
        2 * (fullFrameMs + channelOwnDelayMs) + 2 * Double(relays) * (fullFrameMs + worstRebroadcastDelayMs) + 1500
    }

    /// After a fragment, the next one: the server's pacing, its airtime at the channel's access
    /// delay and every relay's worst delay. Not shorter: while the server is answering, a request
    /// from here would be ignored and, sent while a fragment arrives, would lose it (a radio cannot
    /// hear while it transmits). A lost last fragment is what this wait costs.
    func nextFragmentWaitMs(relays: Int) -> Double {
        pacingMs(relays: relays) + fullFrameMs + channelOwnDelayMs + Double(relays) * (fullFrameMs + worstRebroadcastDelayMs) + 1000
    }

    /// The server answers a request with the data fragments it lacks in order, then (on a first
    /// request) the parity fragments: the last of those ends the round.
    static func roundEnd(of transfer: Transfer, requestedWith have: FragmentSet) -> Int? {
        guard let dataCount = transfer.dataCount else { return nil }
        if have.bits == 0 { return dataCount + transfer.parity - 1 }
        return (0..<dataCount).last { !have.contains($0) }
    }

    private func receive(_ fragment: LoRaMessage.Fragment, from peer: UInt32, relays: Int) {
        guard let id = sessions[fragment.session], var transfer = transfers[id], transfer.peer == peer, transfer.state == .requesting else { return }
        if let size = transfer.blockSize {
            // Every fragment of a transfer must agree on its shape.
            guard size == Int(fragment.blockSize), transfer.parity == Int(fragment.parity) else { return }
        } else {
            transfer.blockSize = Int(fragment.blockSize)
            transfer.parity = Int(fragment.parity)
        }
        // What the fragment travelled is what the request needs too.
        if transfer.relays < 0 || relays > transfer.relays { transfer.relays = relays }
        let index = Int(fragment.index)
        logger.debug("fragment", metadata: ["session": "\(fragment.session)", "index": "\(index)"])
        if transfer.fragments[index] == nil {
            transfer.fragments[index] = fragment.bytes
            transfer.have.insert(index)
            let saved = transfer
            Task { try? await self.store.saveFragment(saved, index: index, bytes: fragment.bytes) }
        }
        if transfer.roundEnd == nil { transfer.roundEnd = Self.roundEnd(of: transfer, requestedWith: transfer.requestedWith) }
        if let end = transfer.roundEnd, index >= end { transfer.roundEnded = true }
        transfers[id] = transfer
        if let size = transfer.blockSize, let dataCount = transfer.dataCount,
           let block = FragmentCoding.reassemble(blockSize: size, parity: transfer.parity, fragments: transfer.fragments) {
            let present = (0..<dataCount).filter { transfer.fragments[$0] != nil }.count
            transfers[id]?.recovered = dataCount - present
            transfers[id]?.assembled = true
            transfers[id]?.state = .requesting
            Task { await self.complete(id, block: block) }
        }
        signal(id)
    }

    private var completing: Set<String> = []

    private func complete(_ id: String, block: [UInt8]) async {
        guard let transfer = transfers[id], transfer.state == .requesting, completing.insert(id).inserted else { return }
        defer { completing.remove(id) }
        guard transfer.cid.verifies(block) else {
            finish(id, error: "the fragments do not hash to \(transfer.cid.string); nothing was stored")
            return
        }
        do {
            try await blocks.store(transfer.cid, bytes: block)
        } catch {
            finish(id, error: "verified, but storage did not store it: \(error)")
            return
        }
        transfers[id]?.state = .stored
        transfers[id]?.finishedAt = TransferStore.nowMs()
        sessions[transfer.session] = nil
        if let done = transfers[id] { try? await store.finish(done) }
        signal(id)
        logger.info("fetched over LoRa", metadata: [
            "cid": "\(transfer.cid.string)", "peer": "\(LoRaNodeText.id(transfer.peer))", "requests": "\(transfer.requests)",
        ])
    }

    private func finish(_ id: String, error: String) {
        guard var transfer = transfers[id], transfer.state == .requesting else { return }
        transfer.state = .failed
        transfer.error = error
        transfer.finishedAt = TransferStore.nowMs()
        transfers[id] = transfer
        sessions[transfer.session] = nil
        let done = transfer
        Task { try? await self.store.finish(done) }
        signal(id)
        logger.info("LoRa fetch failed", metadata: ["cid": "\(transfer.cid.string)", "error": "\(error)"])
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
            deviceAirUtilTxPercent: deviceMetrics?.airUtilTx
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
