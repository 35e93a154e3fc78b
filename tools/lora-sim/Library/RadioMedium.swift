import Foundation
import Logging
import PakitCore
import PakitMeshtastic

/// The simulated air and the firmware of every simulated device, in one actor so that every
/// event sees one consistent state. Events run in simulated-time order; the driver sleeps in
/// real time until the next one is due (`SimulationClock`).
///
/// What it models (docs/lora-bridge.md, "Radio simulator"): exact Semtech time on air per
/// preset; the firmware's MAC (random transmit delay by channel utilisation, carrier sense,
/// SNR-weighted rebroadcast delay, managed flooding that cancels a rebroadcast once another is
/// heard); half-duplex radios; collisions with a 6 dB capture threshold; random or bursty
/// (Gilbert–Elliott) loss per link; hop limits; reliable delivery (ACKs, implicit ACKs,
/// three attempts, MAX_RETRANSMIT); the client API's refusals (TOO_LARGE, NO_CHANNEL,
/// PKI_SEND_FAIL_PUBLIC_KEY, DUTY_CYCLE_LIMIT, repeated ids, a full TX queue); and per-node duty
/// cycle as the firmware accounts it. Unicast is flooded (the firmware's next-hop routing after
/// a first flood is not modelled).
actor RadioMedium {
    private enum Event {
        case transmitAttempt(node: Int)
        case transmitEnd(transmission: Int)
        case retransmitCheck(node: Int, packetID: UInt32, transmissions: Int)
        case nodeInfo(node: Int)
        case telemetry(node: Int)
    }

    private struct Scheduled {
        var time: Double
        var sequence: Int
        var event: Event
    }

    private struct Transmission {
        var id: Int
        var sender: Int
        var packet: AirPacket
        var start: Double
        var end: Double
    }

    let topology: Topology
    let clock: SimulationClock
    let modulation: LoRaModulation
    let dutyCyclePercent: Double
    let hopLimit: UInt32
    private let logger: Logger
    private var devices: [SimulatedDevice]
    private var random: SplitMix64
    private var events: [Scheduled] = []
    private var sequence = 0
    private var now: Double = 0
    private var transmissions: [Int: Transmission] = [:]
    private var nextTransmissionID = 0
    /// Recent transmissions for collision checks, pruned as they age.
    private var airLog: [Transmission] = []
    /// Gilbert–Elliott state per directed link: true = in a loss burst.
    private var linkInBurst: [Int: Bool] = [:]
    private var loss: Double
    private var wake: CheckedContinuation<Void, Never>?
    private var wakeGeneration = 0
    private var nextSessionID = 0

    init(topology: Topology, clock: SimulationClock, preloadNodeDB: Bool, logger: Logger) {
        self.topology = topology
        self.clock = clock
        self.logger = logger
        modulation = LoRaModulation.preset(code: topology.modemPreset) ?? .longFast
        dutyCyclePercent = RegionDutyCycle.percent(regionCode: topology.region)
        hopLimit = UInt32(MACTiming.defaultHopLimit)
        loss = topology.loss
        var random = SplitMix64(seed: topology.seed)
        var numbers = Set<UInt32>()
        var devices: [SimulatedDevice] = []
        for index in 0..<topology.count {
            var number: UInt32
            repeat { number = UInt32.random(in: 0x1000_0000...0xFFFF_FFFE, using: &random) } while !numbers.insert(number).inserted
            devices.append(SimulatedDevice(index: index, number: number))
        }
        if preloadNodeDB { Self.preloadNodeDatabases(&devices, topology: topology, hopLimit: hopLimit) }
        self.devices = devices
        self.random = random
    }

    /// A node database as a mesh that has run for a while has it: every node a NodeInfo flood
    /// (hop limit 3) reaches.
    private static func preloadNodeDatabases(_ devices: inout [SimulatedDevice], topology: Topology, hopLimit: UInt32) {
        for index in devices.indices {
            let distances = topology.hopDistances(from: index)
            for (other, distance) in distances.enumerated() {
                guard other != index, let distance, distance <= Int(hopLimit) + 1 else { continue }
                devices[index].nodeDB[devices[other].number] = .init(
                    user: devices[other].user, lastHeardMs: 0, snr: 0, hopsAway: UInt32(distance - 1)
                )
            }
        }
    }

    var nodeNumbers: [UInt32] { devices.map(\.number) }

    // MARK: Driver

    func start(nodeInfoBroadcasts: Bool, preloaded: Bool) {
        for index in devices.indices {
            schedule(.telemetry(node: index), at: Double.random(in: 0..<MeshConstants.deviceTelemetryIntervalMs, using: &random))
        }
        guard nodeInfoBroadcasts else { return }
        for index in devices.indices {
            // A fresh mesh announces itself within half a minute; a running one at a random
            // point of the three-hour period.
            let window = preloaded ? MeshConstants.nodeInfoIntervalMs : 30_000
            schedule(.nodeInfo(node: index), at: Double.random(in: 0..<window, using: &random))
        }
    }

    /// Runs events until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            guard let next = events.first else {
                await sleep(realSeconds: nil)
                continue
            }
            let wait = clock.realSeconds(until: next.time)
            if wait > 0.0005 {
                await sleep(realSeconds: wait)
                continue
            }
            events.removeFirst()
            now = max(now, next.time)
            handle(next.event)
        }
    }

    private func sleep(realSeconds: Double?) async {
        wakeGeneration += 1
        let generation = wakeGeneration
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            wake = continuation
            if let realSeconds {
                Task { [weak self] in
                    try? await Task.sleep(for: .seconds(realSeconds))
                    await self?.wakeUp(generation: generation)
                }
            }
        }
    }

    private func wakeUp(generation: Int? = nil) {
        if let generation, generation != wakeGeneration { return }
        wake?.resume()
        wake = nil
    }

    func stop() { wakeUp() }

    private func schedule(_ event: Event, at time: Double) {
        sequence += 1
        let item = Scheduled(time: time, sequence: sequence, event: event)
        // Binary search: events are few (a handful per node), the array stays small.
        var low = 0, high = events.count
        while low < high {
            let middle = (low + high) / 2
            if events[middle].time <= time { low = middle + 1 } else { high = middle }
        }
        events.insert(item, at: low)
        if low == 0 { wakeUp() }
    }

    /// Simulated now for something arriving from outside (a client).
    private func externalNow() -> Double {
        now = max(now, clock.now())
        return now
    }

    private func handle(_ event: Event) {
        switch event {
        case .transmitAttempt(let node): attemptTransmit(node)
        case .transmitEnd(let id): finishTransmission(id)
        case .retransmitCheck(let node, let packetID, let count): checkRetransmit(node, packetID: packetID, transmissions: count)
        case .nodeInfo(let node): broadcastNodeInfo(node)
        case .telemetry(let node): reportTelemetry(node)
        }
    }

    // MARK: MAC

    private func channelUtilization(_ node: Int) -> Double {
        devices[node].channel.utilizationPercent(at: now)
    }

    /// When node hears the channel busy, until when (nil = clear).
    private func busyUntil(_ node: Int) -> Double? {
        var until: Double?
        if let own = devices[node].transmittingUntil, own > now { until = own }
        for neighbour in topology.neighbours[node] {
            if let end = devices[neighbour].transmittingUntil, end > now { until = max(until ?? end, end) }
        }
        return until
    }

    /// The firmware's random delay before a node's own transmission, at its channel use.
    private func ownTransmitDelay(_ node: Int) -> Double {
        MACTiming.ownTransmitDelayMs(modulation: modulation, channelUtilizationPercent: channelUtilization(node), using: &random)
    }

    /// Makes sure node has a transmit attempt scheduled if it has something to send.
    private func kick(_ node: Int) {
        guard devices[node].transmittingUntil == nil, devices[node].attemptScheduledAt == nil,
              let earliest = devices[node].transmitQueue.map(\.notBefore).min() else { return }
        let time = max(now + ownTransmitDelay(node), earliest)
        devices[node].attemptScheduledAt = time
        schedule(.transmitAttempt(node: node), at: time)
    }

    private func attemptTransmit(_ node: Int) {
        devices[node].attemptScheduledAt = nil
        guard devices[node].transmittingUntil == nil else { return }
        let ready = devices[node].transmitQueue.indices.filter { devices[node].transmitQueue[$0].notBefore <= now }
        guard let pick = ready.max(by: { a, b in
            let left = devices[node].transmitQueue[a], right = devices[node].transmitQueue[b]
            if left.packet.priority.rawValue != right.packet.priority.rawValue {
                return left.packet.priority.rawValue < right.packet.priority.rawValue
            }
            return left.sequence > right.sequence
        }) else {
            kick(node)
            return
        }
        if let busy = busyUntil(node) {
            // Carrier sense: wait for the channel, then a fresh random backoff.
            let time = busy + ownTransmitDelay(node)
            devices[node].attemptScheduledAt = time
            schedule(.transmitAttempt(node: node), at: time)
            return
        }
        let queued = devices[node].transmitQueue.remove(at: pick)
        let airtime = modulation.timeOnAirMs(payloadBytes: queued.packet.onAirBytes)
        let end = now + airtime
        nextTransmissionID += 1
        let transmission = Transmission(id: nextTransmissionID, sender: node, packet: queued.packet, start: now, end: end)
        transmissions[transmission.id] = transmission
        airLog.append(transmission)
        devices[node].transmittingUntil = end
        devices[node].transmissions.append((now, end))
        devices[node].ledger.record(transmitMs: airtime, at: now)
        devices[node].channel.record(airtimeMs: airtime, at: now)
        devices[node].counters.transmitted += 1
        if queued.isRebroadcast { devices[node].counters.rebroadcast += 1 }
        for neighbour in topology.neighbours[node] {
            devices[neighbour].channel.record(airtimeMs: airtime, at: now)
        }
        schedule(.transmitEnd(transmission: transmission.id), at: end)
        sendQueueStatus(node, result: 0, packetID: 0)
    }

    private func finishTransmission(_ id: Int) {
        guard let transmission = transmissions.removeValue(forKey: id) else { return }
        let sender = transmission.sender
        devices[sender].transmittingUntil = nil
        pruneAirLog()
        for receiver in topology.neighbours[sender] {
            deliverIfHeard(transmission, at: receiver)
        }
        let packet = transmission.packet
        if packet.from == devices[sender].number, let pending = devices[sender].reliable[packet.id] {
            let timeout = MACTiming.retransmissionTimeoutMs(
                modulation: modulation, packetTimeOnAirMs: transmission.end - transmission.start,
                channelUtilizationPercent: channelUtilization(sender)
            )
            schedule(.retransmitCheck(node: sender, packetID: packet.id, transmissions: pending.transmissions), at: now + timeout)
        }
        kick(sender)
    }

    private func pruneAirLog() {
        let horizon = now - 120_000
        if let first = airLog.first, first.end < horizon {
            airLog.removeAll { $0.end < horizon }
            for index in devices.indices { devices[index].transmissions.removeAll { $0.end < horizon } }
        }
    }

    /// Decides whether `receiver` hears the transmission: not while transmitting itself, not
    /// under a collision it does not capture (6 dB), not lost on the link.
    private func deliverIfHeard(_ transmission: Transmission, at receiver: Int) {
        let sender = transmission.sender
        if devices[receiver].transmissions.contains(where: { $0.start < transmission.end && $0.end > transmission.start }) {
            devices[receiver].counters.lostWhileTransmitting += 1
            return
        }
        let signal = topology.rssi(from: sender, to: receiver)
        let hearsReceiver = Set(topology.neighbours[receiver])
        for other in airLog where other.id != transmission.id && other.sender != sender
            && hearsReceiver.contains(other.sender) && other.start < transmission.end && other.end > transmission.start {
            if signal - topology.rssi(from: other.sender, to: receiver) < 6 {
                devices[receiver].counters.lostToCollision += 1
                return
            }
        }
        if linkLoses(from: sender, to: receiver) {
            devices[receiver].counters.lostToLoss += 1
            return
        }
        devices[receiver].counters.received += 1
        receive(transmission.packet, at: receiver, from: sender)
    }

    private func linkLoses(from sender: Int, to receiver: Int) -> Bool {
        guard loss > 0 else { return false }
        let burst = topology.burstLength
        if burst <= 1 { return Double.random(in: 0..<1, using: &random) < loss }
        // Gilbert–Elliott: bursts of mean length `burst`, lost fraction `loss` on average.
        let link = sender * Topology.maximumNodes + receiver
        var inBurst = linkInBurst[link] ?? false
        let leave = 1 / burst
        let enter = loss / (burst * (1 - loss))
        inBurst = inBurst ? Double.random(in: 0..<1, using: &random) >= leave : Double.random(in: 0..<1, using: &random) < enter
        linkInBurst[link] = inBurst
        return inBurst
    }

    // MARK: Receiving

    private func receive(_ packet: AirPacket, at node: Int, from relay: Int) {
        let me = devices[node].number
        let snr = topology.snr(from: relay, to: node)
        let rssi = topology.rssi(from: relay, to: node)
        if packet.from == me {
            // Someone relays our own broadcast: that is the implicit ACK.
            if packet.isBroadcast, devices[node].reliable.removeValue(forKey: packet.id) != nil {
                deliverRouting(node, error: .none, requestID: packet.id, from: me)
            }
            return
        }
        guard devices[node].remember(packet.key, at: now) else {
            // Managed flooding: another node already relayed it, so ours is not needed.
            devices[node].transmitQueue.removeAll { $0.isRebroadcast && $0.packet.key == packet.key }
            if packet.to == me, packet.wantAck, packet.data.portnum != .routingApp { enqueueAck(node, for: packet) }
            return
        }
        var known = devices[node].nodeDB[packet.from]
        let hops = packet.hopStart >= packet.hopLimit ? packet.hopStart - packet.hopLimit : 0
        if packet.data.portnum == .nodeinfoApp, let user = try? MeshtasticUser(serializedBytes: packet.data.payload) {
            known = .init(user: user, lastHeardMs: now, snr: snr, hopsAway: hops)
        }
        if var entry = known {
            entry.lastHeardMs = now
            entry.snr = snr
            entry.hopsAway = hops
            devices[node].nodeDB[packet.from] = entry
        }
        if packet.to == me || packet.isBroadcast {
            if packet.to == me, packet.data.portnum == .routingApp, packet.data.requestID != 0 {
                devices[node].reliable[packet.data.requestID] = nil
            }
            deliverToClient(node, packet, snr: snr, rssi: rssi)
            if packet.to == me, packet.wantAck, packet.data.portnum != .routingApp { enqueueAck(node, for: packet) }
        }
        if packet.to != me, packet.hopLimit > 0, devices[node].role != .clientMute {
            var copy = packet
            copy.hopLimit -= 1
            copy.relayNode = me & 0xFF
            let delay = MACTiming.rebroadcastDelayMs(
                modulation: modulation, snr: snr, isRouter: devices[node].role == .router, using: &random
            )
            enqueue(node, copy, notBefore: now + delay, rebroadcast: true)
        }
    }

    private func enqueueAck(_ node: Int, for packet: AirPacket) {
        var routing = MeshtasticRouting()
        routing.errorReason = .none
        var data = MeshtasticDataPayload()
        data.portnum = .routingApp
        data.payload = (try? routing.serializedBytes()).map { Data($0 as [UInt8]) } ?? Data()
        data.requestID = packet.id
        data.bitfield = 0
        let ack = AirPacket(
            from: devices[node].number, to: packet.from, id: devices[node].nextPacketID(using: &random), channel: packet.channel,
            hopLimit: max(packet.hopStart, hopLimit), hopStart: max(packet.hopStart, hopLimit), wantAck: false, priority: .ack,
            data: data, pki: false, senderPublicKey: Data(), relayNode: devices[node].number & 0xFF
        )
        _ = devices[node].remember(ack.key, at: now)
        enqueue(node, ack, notBefore: now, rebroadcast: false)
    }

    @discardableResult
    private func enqueue(_ node: Int, _ packet: AirPacket, notBefore: Double, rebroadcast: Bool) -> Bool {
        guard devices[node].transmitQueue.count < MeshConstants.transmitQueueLength else { return false }
        sequence += 1
        devices[node].transmitQueue.append(.init(packet: packet, notBefore: notBefore, isRebroadcast: rebroadcast, sequence: sequence))
        kick(node)
        return true
    }

    private func checkRetransmit(_ node: Int, packetID: UInt32, transmissions: Int) {
        guard var pending = devices[node].reliable[packetID], pending.transmissions == transmissions else { return }
        if pending.transmissions >= MACTiming.reliableAttempts {
            devices[node].reliable[packetID] = nil
            devices[node].counters.maxRetransmit += 1
            deliverRouting(node, error: .maxRetransmit, requestID: packetID, from: devices[node].number)
            return
        }
        pending.transmissions += 1
        devices[node].reliable[packetID] = pending
        if !enqueue(node, pending.packet, notBefore: now, rebroadcast: false) {
            schedule(.retransmitCheck(node: node, packetID: packetID, transmissions: pending.transmissions), at: now + 1000)
        }
    }

    private func broadcastNodeInfo(_ node: Int) {
        var data = MeshtasticDataPayload()
        data.portnum = .nodeinfoApp
        data.payload = (try? devices[node].user.serializedBytes()).map { Data($0 as [UInt8]) } ?? Data()
        data.bitfield = 0
        let packet = AirPacket(
            from: devices[node].number, to: MeshtasticAddress.broadcast, id: devices[node].nextPacketID(using: &random), channel: 0,
            hopLimit: hopLimit, hopStart: hopLimit, wantAck: false, priority: .background, data: data, pki: false,
            senderPublicKey: Data(), relayNode: devices[node].number & 0xFF
        )
        _ = devices[node].remember(packet.key, at: now)
        enqueue(node, packet, notBefore: now, rebroadcast: false)
        schedule(.nodeInfo(node: node), at: now + MeshConstants.nodeInfoIntervalMs)
    }

    /// Each minute: drops a client silent for 15 minutes, then reports the device's own
    /// DeviceMetrics to its client (never on air): channel utilisation over the last minute and
    /// its own transmit share of the last hour, as the firmware's `airtime.cpp`.
    private func reportTelemetry(_ node: Int) {
        schedule(.telemetry(node: node), at: now + MeshConstants.deviceTelemetryIntervalMs)
        if let session = devices[node].session, now - session.lastDataMs >= MeshConstants.clientIdleTimeoutMs {
            // A silent client is dropped, as the firmware's API idle timeout does (checked each minute).
            session.output.finish()
            devices[node].session = nil
            return
        }
        guard devices[node].session?.configured == true else { return }
        var metrics = MeshtasticDeviceMetrics()
        metrics.channelUtilization = Float(channelUtilization(node))
        metrics.airUtilTx = Float(devices[node].ledger.utilizationPercent(at: now))
        metrics.uptimeSeconds = UInt32(clamping: Int64(now / 1000))
        var telemetry = MeshtasticTelemetry()
        telemetry.time = clock.unixSeconds(at: now)
        telemetry.deviceMetrics = metrics
        var data = MeshtasticDataPayload()
        data.portnum = .telemetryApp
        data.payload = (try? telemetry.serializedBytes()).map { Data($0 as [UInt8]) } ?? Data()
        var packet = MeshtasticMeshPacket()
        packet.from = devices[node].number
        packet.to = MeshtasticAddress.broadcast
        packet.decoded = data
        packet.id = devices[node].nextPacketID(using: &random)
        packet.rxTime = clock.unixSeconds(at: now)
        send(node, .packet(packet))
    }

    // MARK: Client API

    /// A client connected to node: the previous one is closed (one client at a time).
    func connect(node: Int) -> (session: Int, output: AsyncStream<[UInt8]>) {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        devices[node].session?.output.finish()
        nextSessionID += 1
        devices[node].session = .init(id: nextSessionID, output: continuation, configured: false, lastDataMs: externalNow())
        return (nextSessionID, stream)
    }

    func disconnect(node: Int, session: Int) {
        guard devices[node].session?.id == session else { return }
        devices[node].session?.output.finish()
        devices[node].session = nil
    }

    /// One decoded frame from the client of node.
    func handle(frame: [UInt8], node: Int, session: Int) {
        guard devices[node].session?.id == session else { return }
        let time = externalNow()
        devices[node].session?.lastDataMs = time
        guard let message = try? MeshtasticToRadio(serializedBytes: frame) else {
            logger.debug("undecodable ToRadio", metadata: ["node": "\(node)", "bytes": "\(frame.count)"])
            return
        }
        switch message.payloadVariant {
        case .wantConfigID(let nonce): sendConfiguration(node, nonce: nonce)
        case .heartbeat: sendQueueStatus(node, result: 0, packetID: 0)
        case .disconnect: disconnect(node: node, session: session)
        case .packet(let packet): handleClientPacket(node, packet)
        case nil: break
        }
    }

    private func send(_ node: Int, _ variant: MeshtasticFromRadio.OneOf_PayloadVariant) {
        guard let session = devices[node].session else { return }
        devices[node].fromRadioCounter &+= 1
        var message = MeshtasticFromRadio()
        message.id = devices[node].fromRadioCounter
        message.payloadVariant = variant
        guard let bytes = try? message.serializedBytes() as [UInt8], let frame = try? StreamFraming.frame(bytes) else { return }
        session.output.yield(frame)
    }

    private func sendQueueStatus(_ node: Int, result: Int32, packetID: UInt32) {
        var status = MeshtasticQueueStatus()
        status.res = result
        status.free = UInt32(devices[node].freeQueueSlots)
        status.maxlen = UInt32(MeshConstants.transmitQueueLength)
        status.meshPacketID = packetID
        send(node, .queueStatus(status))
    }

    /// The handshake, in the order the firmware sends it (`PhoneAPI::getFromRadio`).
    private func sendConfiguration(_ node: Int, nonce: UInt32) {
        let device = devices[node]
        let nodesOnly = nonce == 69421
        if !nodesOnly {
            var myInfo = MeshtasticMyNodeInfo()
            myInfo.myNodeNum = device.number
            myInfo.minAppVersion = MeshConstants.minimumAppVersion
            myInfo.nodedbCount = UInt32(device.nodeDB.count + 1)
            myInfo.pioEnv = "native"
            send(node, .myInfo(myInfo))
            var own = MeshtasticNodeInfo()
            own.num = device.number
            own.user = device.user
            own.isFavorite = true
            own.lastHeard = clock.unixSeconds(at: now)
            send(node, .nodeInfo(own))
            var metadata = MeshtasticDeviceMetadata()
            metadata.firmwareVersion = MeshConstants.firmwareVersion
            metadata.deviceStateVersion = 24
            metadata.hwModel = .portduino
            metadata.pkcCapable = true
            metadata.role = device.role
            send(node, .metadata(metadata))
            for index in 0..<8 {
                var channel = MeshtasticChannel()
                channel.index = Int32(index)
                if index == 0 {
                    channel.role = .primary
                    channel.settings.psk = Data([0x01])
                } else {
                    channel.role = .disabled
                }
                send(node, .channel(channel))
            }
            var deviceConfig = MeshtasticConfig()
            var deviceSection = MeshtasticConfig.DeviceConfig()
            deviceSection.role = device.role
            deviceConfig.device = deviceSection
            send(node, .config(deviceConfig))
            var loraConfig = MeshtasticConfig()
            var lora = MeshtasticConfig.LoRaConfig()
            lora.usePreset = true
            lora.modemPreset = MeshtasticModemPreset(rawValue: topology.modemPreset) ?? .longFast
            lora.region = MeshtasticRegionCode(rawValue: topology.region) ?? .eu868
            lora.hopLimit = hopLimit
            lora.txEnabled = true
            loraConfig.lora = lora
            send(node, .config(loraConfig))
            var securityConfig = MeshtasticConfig()
            var security = MeshtasticConfig.SecurityConfig()
            security.publicKey = device.publicKey
            securityConfig.security = security
            send(node, .config(securityConfig))
        }
        if nonce != 69420 {
            for (number, known) in device.nodeDB.sorted(by: { $0.key < $1.key }) {
                var info = MeshtasticNodeInfo()
                info.num = number
                info.user = known.user
                info.snr = Float(known.snr)
                info.lastHeard = clock.unixSeconds(at: known.lastHeardMs)
                info.hopsAway = known.hopsAway
                send(node, .nodeInfo(info))
            }
        }
        send(node, .configCompleteID(nonce))
        devices[node].session?.configured = true
    }

    private func handleClientPacket(_ node: Int, _ incoming: MeshtasticMeshPacket) {
        devices[node].counters.clientPackets += 1
        if incoming.id != 0, devices[node].recentClientIDs.contains(incoming.id) {
            // The firmware drops a repeated id silently: no QueueStatus, nothing on air.
            devices[node].counters.droppedRepeatedID += 1
            return
        }
        let me = devices[node].number
        let id = incoming.id != 0 ? incoming.id : devices[node].nextPacketID(using: &random)
        devices[node].recentClientIDs.append(id)
        if devices[node].recentClientIDs.count > MeshConstants.recentClientIDs { devices[node].recentClientIDs.removeFirst() }

        guard case .decoded(var data)? = incoming.payloadVariant else {
            refuse(node, id: id, error: .badRequest)
            return
        }
        guard incoming.channel < 8, incoming.channel == 0 else {
            refuse(node, id: id, error: .noChannel)
            return
        }
        var hops = incoming.hopLimit
        if incoming.wantAck, hops == 0 { hops = hopLimit }
        hops = min(hops, UInt32(MACTiming.maximumHopLimit))
        // Router::send: our own packets are refused while the last hour's airtime is over the
        // region's duty cycle.
        if !devices[node].ledger.firmwareAllowsSend(at: now, dutyCyclePercent: dutyCyclePercent) {
            devices[node].counters.refusedDutyCycle += 1
            let minutes = devices[node].ledger.silentMinutes(at: now, dutyCyclePercent: dutyCyclePercent)
            var notification = MeshtasticClientNotification()
            notification.replyID = id
            notification.time = clock.unixSeconds(at: now)
            notification.level = .warning
            notification.message = "Duty cycle limit exceeded. You can send again in \(minutes) mins"
            send(node, .clientNotification(notification))
            refuse(node, id: id, error: .dutyCycleLimit)
            return
        }
        let broadcast = incoming.to == MeshtasticAddress.broadcast
        let pki = !broadcast && incoming.to != me && !MeshConstants.portsWithoutPKI.contains(data.portnum)
        if pki, devices[node].nodeDB[incoming.to]?.user.publicKey.count != 32 {
            devices[node].counters.refusedPublicKey += 1
            refuse(node, id: id, error: .pkiSendFailPublicKey)
            return
        }
        data.bitfield = 0
        let encoded = (try? data.serializedBytes() as [UInt8])?.count ?? Int.max
        if encoded > PayloadLimits.maximumEncodedData(pki: pki) {
            devices[node].counters.refusedTooLarge += 1
            refuse(node, id: id, error: .tooLarge)
            return
        }
        let packet = AirPacket(
            from: me, to: incoming.to, id: id, channel: 0, hopLimit: hops, hopStart: hops,
            // Broadcasts never carry want_ack over the air.
            wantAck: incoming.wantAck && !broadcast, priority: incoming.priority == .unset ? .default : incoming.priority,
            data: data, pki: pki, senderPublicKey: pki ? devices[node].publicKey : Data(), relayNode: me & 0xFF
        )
        guard devices[node].transmitQueue.count < MeshConstants.transmitQueueLength else {
            devices[node].counters.refusedQueueFull += 1
            sendQueueStatus(node, result: MeshConstants.queueFullResult, packetID: id)
            return
        }
        _ = devices[node].remember(packet.key, at: now)
        if incoming.wantAck { devices[node].reliable[id] = .init(packet: packet, transmissions: 1) }
        enqueue(node, packet, notBefore: now, rebroadcast: false)
        sendQueueStatus(node, result: 0, packetID: id)
    }

    /// A refusal as the firmware reports it: QueueStatus with the error, and a ROUTING packet
    /// from the local node naming the packet id.
    private func refuse(_ node: Int, id: UInt32, error: MeshtasticRouting.Error) {
        sendQueueStatus(node, result: Int32(error.rawValue), packetID: id)
        deliverRouting(node, error: error, requestID: id, from: devices[node].number)
    }

    private func deliverRouting(_ node: Int, error: MeshtasticRouting.Error, requestID: UInt32, from: UInt32) {
        var routing = MeshtasticRouting()
        routing.errorReason = error
        var packet = MeshtasticMeshPacket()
        packet.from = from
        packet.to = devices[node].number
        packet.id = devices[node].nextPacketID(using: &random)
        packet.priority = .ack
        packet.rxTime = clock.unixSeconds(at: now)
        var data = MeshtasticDataPayload()
        data.portnum = .routingApp
        data.payload = (try? routing.serializedBytes()).map { Data($0 as [UInt8]) } ?? Data()
        data.requestID = requestID
        packet.decoded = data
        send(node, .packet(packet))
    }

    private func deliverToClient(_ node: Int, _ air: AirPacket, snr: Double, rssi: Double) {
        var packet = MeshtasticMeshPacket()
        packet.from = air.from
        packet.to = air.to
        packet.channel = air.channel
        packet.decoded = air.data
        packet.id = air.id
        packet.rxTime = clock.unixSeconds(at: now)
        packet.rxSnr = Float(snr)
        packet.rxRssi = Int32(rssi.rounded())
        packet.hopLimit = air.hopLimit
        packet.hopStart = air.hopStart
        packet.wantAck = air.wantAck
        packet.priority = air.priority
        packet.relayNode = air.relayNode
        packet.transportMechanism = .transportLora
        if air.pki {
            packet.pkiEncrypted = true
            packet.publicKey = air.senderPublicKey
        }
        devices[node].counters.deliveredToClient += 1
        send(node, .packet(packet))
    }

    // MARK: Control

    func report() -> [SimulatedNodeReport] {
        let time = max(now, clock.now())
        return devices.map { device in
            SimulatedNodeReport(
                index: device.index, number: device.number,
                airtimeLastHourMs: device.ledger.usedMs(at: time),
                dutyCyclePercentUsed: device.ledger.utilizationPercent(at: time),
                channelUtilizationPercent: device.channel.utilizationPercent(at: time),
                queued: device.transmitQueue.count, knownNodes: device.nodeDB.count, counters: device.counters
            )
        }
    }

    func setLoss(_ value: Double) { loss = min(max(value, 0), 0.99) }

    var simulatedNow: Double { max(now, clock.now()) }
}
