import Foundation
import Logging
import NIOCore
import NIOPosix
import PakitMeshtastic

/// What the device told us in its configuration handshake, kept current as it reports changes.
public struct DeviceSnapshot: Sendable {
    public var myNodeNumber: UInt32
    public var user: MeshtasticUser
    public var metadata: MeshtasticDeviceMetadata
    public var lora: MeshtasticConfig.LoRaConfig
    public var channels: [MeshtasticChannel]
    /// Other nodes by number, as the device's node database has them.
    public var nodes: [UInt32: MeshtasticNodeInfo]

    /// The modem parameters the device transmits with (its preset; LONG_FAST if unknown).
    public var modulation: LoRaModulation {
        if lora.usePreset { return LoRaModulation.preset(code: lora.modemPreset.rawValue) ?? .longFast }
        // Custom settings: bandwidth in kHz, coding rate as the denominator (5…8).
        guard (5...12).contains(Int(lora.spreadFactor)), lora.bandwidth > 0, (5...8).contains(Int(lora.codingRate)) else {
            return .longFast
        }
        return (try? LoRaModulation(
            spreadingFactor: Int(lora.spreadFactor), bandwidthHz: Double(lora.bandwidth) * 1000,
            codingRateDenominator: Int(lora.codingRate)
        )) ?? .longFast
    }

    public var hopLimit: UInt32 { lora.hopLimit == 0 ? UInt32(MACTiming.defaultHopLimit) : min(lora.hopLimit, UInt32(MACTiming.maximumHopLimit)) }

    public func publicKey(of node: UInt32) -> Data? {
        guard let key = nodes[node]?.user.publicKey, key.count == 32 else { return nil }
        return key
    }
}

/// Something the device reported after the handshake.
public enum DeviceEvent: Sendable {
    case packet(MeshtasticMeshPacket)
    case queueStatus(MeshtasticQueueStatus)
    case notification(MeshtasticClientNotification)
    case nodeUpdated(MeshtasticNodeInfo)
    /// The connection ended (the device rebooted, closed, or another client took it over).
    case disconnected
}

/// One connection to a Meshtastic device over its client stream API (0x94 0xC3 framing):
/// the `want_config_id` handshake, heartbeats, and sends that respect the device's TX queue
/// (never more outstanding than its free slots; QueueStatus answers every packet).
public actor MeshtasticDevice {
    public let endpoint: RadioEndpoint
    /// Device time runs this many times faster than the wall clock (1 for hardware; the radio
    /// simulator's `--speed` when it runs faster): heartbeats are paced in device time.
    public let timeScale: Double
    private let logger: Logger

    private var connection: Task<Void, Never>?
    private var writer: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    private var generation = 0
    private var handshake: Handshake?
    private var attachWaiter: CheckedContinuation<Bool, Never>?
    private var handshakeWaiter: CheckedContinuation<DeviceSnapshot, any Error>?
    public private(set) var snapshot: DeviceSnapshot?
    private var freeSlots = 1
    private var maximumSlots = 16
    private var slotWaiters: [CheckedContinuation<Void, Never>] = []
    private var statusWaiters: [UInt32: CheckedContinuation<MeshtasticQueueStatus?, Never>] = [:]
    private var localRefusals: [UInt32: MeshtasticRouting.Error] = [:]
    private var packetCounter: UInt32 = 0
    private var heartbeat: Task<Void, Never>?
    private let eventStream: AsyncStream<DeviceEvent>
    private let eventSink: AsyncStream<DeviceEvent>.Continuation
    public private(set) var framesDiscarded = 0
    public private(set) var undecodableMessages = 0

    public init(endpoint: RadioEndpoint, timeScale: Double = 1, logger: Logger) {
        self.endpoint = endpoint
        self.timeScale = max(timeScale, 0.001)
        self.logger = logger
        (eventStream, eventSink) = AsyncStream<DeviceEvent>.makeStream(bufferingPolicy: .unbounded)
    }

    deinit {
        connection?.cancel()
        heartbeat?.cancel()
        eventSink.finish()
    }

    /// Everything the device reports after the handshake, in order. One consumer.
    public nonisolated var events: AsyncStream<DeviceEvent> { eventStream }

    private struct Handshake {
        var nonce: UInt32
        var myInfo: MeshtasticMyNodeInfo?
        var ownNode: MeshtasticNodeInfo?
        var metadata = MeshtasticDeviceMetadata()
        var lora = MeshtasticConfig.LoRaConfig()
        var channels: [MeshtasticChannel] = []
        var nodes: [UInt32: MeshtasticNodeInfo] = [:]
    }

    // MARK: Connecting

    /// Opens the connection and runs the configuration handshake.
    public func connect(timeout: Duration = .seconds(30)) async throws(RadioError) -> DeviceSnapshot {
        disconnect()
        generation += 1
        let current = generation
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await DeviceTransport.open(endpoint)
        } catch let error as RadioError {
            throw error
        } catch {
            throw .unreachable("\(endpoint): \(error)")
        }
        connection = Task { [weak self] in
            do {
                try await channel.executeThenClose { inbound, outbound in
                    await self?.attach(outbound, generation: current)
                    var decoder = StreamFrameDecoder()
                    for try await buffer in inbound {
                        decoder.append(buffer.readableBytesView)
                        while let frame = decoder.nextFrame() {
                            await self?.receive(frame, generation: current)
                        }
                        await self?.noteDiscarded(decoder.discardedByteCount, generation: current)
                    }
                }
            } catch {}
            await self?.connectionEnded(generation: current)
        }
        // The writer arrives from the connection task; nothing can be sent before it.
        let attached = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            if writer != nil { continuation.resume(returning: true) } else { attachWaiter = continuation }
        }
        guard attached, current == generation else { throw .disconnected }
        var nonce: UInt32
        repeat { nonce = UInt32.random(in: 1...UInt32.max) } while nonce == 69420 || nonce == 69421
        handshake = Handshake(nonce: nonce)
        // Serial devices need waking (32 × 0xC3) before the first frame; TCP ignores it.
        if case .serial = endpoint { await write(Array(repeating: 0xC3, count: 32)) }
        var request = MeshtasticToRadio()
        request.wantConfigID = nonce
        await write(request)
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.failHandshake(generation: current)
        }
        defer { timer.cancel() }
        do {
            let snapshot = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<DeviceSnapshot, any Error>) in
                handshakeWaiter = continuation
            }
            startHeartbeats(generation: current)
            return snapshot
        } catch let error as RadioError {
            disconnect()
            throw error
        } catch {
            disconnect()
            throw .handshakeTimedOut
        }
    }

    /// Closes the connection (sends `disconnect` first, as a polite client does).
    public func disconnect() {
        if writer != nil {
            var goodbye = MeshtasticToRadio()
            goodbye.disconnect = true
            if let bytes = try? goodbye.serializedBytes() as [UInt8], let frame = try? StreamFraming.frame(bytes) {
                let writer = self.writer
                Task { try? await writer?.write(ByteBuffer(bytes: frame)) ; writer?.finish() }
            }
        }
        writer = nil
        connection?.cancel()
        connection = nil
        heartbeat?.cancel()
        heartbeat = nil
        generation += 1
        endWaiters()
    }

    private func attach(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, generation current: Int) {
        guard current == generation else { outbound.finish(); return }
        writer = outbound
        attachWaiter?.resume(returning: true)
        attachWaiter = nil
    }

    private func connectionEnded(generation current: Int) {
        guard current == generation else { return }
        writer = nil
        attachWaiter?.resume(returning: false)
        attachWaiter = nil
        heartbeat?.cancel()
        heartbeat = nil
        handshakeWaiter?.resume(throwing: RadioError.disconnected)
        handshakeWaiter = nil
        endWaiters()
        snapshot = nil
        eventSink.yield(.disconnected)
    }

    private func endWaiters() {
        for waiter in slotWaiters { waiter.resume() }
        slotWaiters = []
        for (_, waiter) in statusWaiters { waiter.resume(returning: nil) }
        statusWaiters = [:]
    }

    private func failHandshake(generation current: Int) {
        guard current == generation, let waiter = handshakeWaiter else { return }
        handshakeWaiter = nil
        waiter.resume(throwing: RadioError.handshakeTimedOut)
    }

    private func noteDiscarded(_ count: Int, generation current: Int) {
        if current == generation { framesDiscarded = count }
    }

    private func startHeartbeats(generation current: Int) {
        heartbeat?.cancel()
        // The Python client sends one every 300 s; the 15-minute idle timeout never fires.
        let period = 300 / timeScale
        heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                guard (try? await Task.sleep(for: .seconds(period))) != nil else { return }
                guard !Task.isCancelled else { return }
                await self?.sendHeartbeat(generation: current)
            }
        }
    }

    private func sendHeartbeat(generation current: Int) async {
        guard current == generation else { return }
        var message = MeshtasticToRadio()
        message.heartbeat = MeshtasticHeartbeat()
        await write(message)
    }

    // MARK: Sending

    /// A fresh packet id (10-bit counter, 22 random bits, as the firmware and Python client
    /// make them): the device silently drops an id it saw among its last 20 packets.
    public func freshPacketID() -> UInt32 {
        packetCounter = (packetCounter + 1) & 0x3FF
        let id = (UInt32.random(in: 0...0x3F_FFFF) << 10) | packetCounter
        return id == 0 ? 1 : id
    }

    /// Hands a packet to the device once it has a free TX queue slot, and returns when the
    /// device has queued it (its QueueStatus for this packet id). A refusal (TOO_LARGE,
    /// DUTY_CYCLE_LIMIT, PKI_SEND_FAIL_PUBLIC_KEY, a full queue) throws `.refused`.
    @discardableResult
    public func send(_ packet: MeshtasticMeshPacket, answerTimeout: Duration = .seconds(10)) async throws(RadioError) -> UInt32 {
        var packet = packet
        if packet.id == 0 { packet.id = freshPacketID() }
        guard snapshot != nil, writer != nil else { throw .notConnected }
        while freeSlots <= 0 {
            await waitForSlot()
            guard snapshot != nil, writer != nil else { throw .disconnected }
        }
        freeSlots -= 1
        var message = MeshtasticToRadio()
        message.packet = packet
        let id = packet.id
        let current = generation
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: answerTimeout)) != nil else { return }
            await self?.expireStatus(id)
        }
        defer { timer.cancel() }
        let status: MeshtasticQueueStatus? = await withCheckedContinuation { continuation in
            statusWaiters[id] = continuation
            Task { await self.write(message, generation: current) }
        }
        guard let status else {
            throw writer == nil ? .disconnected : .noAnswer
        }
        let refusal = localRefusals.removeValue(forKey: id)
        if status.res != 0 {
            let reason = refusal ?? MeshtasticRouting.Error(rawValue: Int(status.res))
            throw .refused(code: Int(status.res), reason: reason.map { "\($0)" } ?? "result \(status.res)")
        }
        return id
    }

    private func waitForSlot() async {
        // Re-poll with a heartbeat every half second, as the Python client does.
        let poll = Task { [weak self] in
            guard (try? await Task.sleep(for: .milliseconds(500))) != nil else { return }
            await self?.pollQueue()
        }
        defer { poll.cancel() }
        await withCheckedContinuation { slotWaiters.append($0) }
    }

    private func pollQueue() async {
        var message = MeshtasticToRadio()
        message.heartbeat = MeshtasticHeartbeat()
        await write(message)
        // Wake one waiter even without an answer so it polls again.
        if !slotWaiters.isEmpty { slotWaiters.removeFirst().resume() }
    }

    private func expireStatus(_ id: UInt32) {
        statusWaiters.removeValue(forKey: id)?.resume(returning: nil)
    }

    private func write(_ message: MeshtasticToRadio, generation current: Int? = nil) async {
        if let current, current != generation { return }
        guard let bytes = try? message.serializedBytes() as [UInt8], let frame = try? StreamFraming.frame(bytes) else { return }
        await write(frame)
    }

    private func write(_ bytes: [UInt8]) async {
        guard let writer else { return }
        do { try await writer.write(ByteBuffer(bytes: bytes)) } catch {
            logger.debug("radio write failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Receiving

    private func receive(_ frame: [UInt8], generation current: Int) {
        guard current == generation else { return }
        guard let message = try? MeshtasticFromRadio(serializedBytes: frame) else {
            undecodableMessages += 1
            return
        }
        if var state = handshake {
            switch message.payloadVariant {
            case .myInfo(let info): state.myInfo = info
            case .nodeInfo(let info):
                if let mine = state.myInfo, info.num == mine.myNodeNum { state.ownNode = info } else { state.nodes[info.num] = info }
            case .metadata(let metadata): state.metadata = metadata
            case .channel(let channel): state.channels.append(channel)
            case .config(let config):
                if case .lora(let lora)? = config.payloadVariant { state.lora = lora }
            case .configCompleteID(let nonce) where nonce == state.nonce:
                handshake = nil
                guard let myInfo = state.myInfo else {
                    handshakeWaiter?.resume(throwing: RadioError.unreachable("the device sent no my_info"))
                    handshakeWaiter = nil
                    return
                }
                let snapshot = DeviceSnapshot(
                    myNodeNumber: myInfo.myNodeNum, user: state.ownNode?.user ?? MeshtasticUser(), metadata: state.metadata,
                    lora: state.lora, channels: state.channels, nodes: state.nodes
                )
                self.snapshot = snapshot
                freeSlots = 1
                handshakeWaiter?.resume(returning: snapshot)
                handshakeWaiter = nil
                // Learn the real queue depth at once.
                Task { await self.sendHeartbeat(generation: current) }
                return
            case .rebooted: break
            default: break
            }
            handshake = state
            return
        }
        switch message.payloadVariant {
        case .packet(let packet):
            if case .decoded(let data)? = packet.payloadVariant {
                if data.portnum == .nodeinfoApp, let user = try? MeshtasticUser(serializedBytes: data.payload) {
                    var info = snapshot?.nodes[packet.from] ?? MeshtasticNodeInfo()
                    info.num = packet.from
                    info.user = user
                    info.lastHeard = packet.rxTime
                    info.snr = packet.rxSnr
                    snapshot?.nodes[packet.from] = info
                }
                if data.portnum == .routingApp, packet.from == snapshot?.myNodeNumber,
                   let routing = try? MeshtasticRouting(serializedBytes: data.payload),
                   case .errorReason(let reason)? = routing.variant, reason != .none, statusWaiters[data.requestID] != nil {
                    localRefusals[data.requestID] = reason
                }
            }
            eventSink.yield(.packet(packet))
        case .queueStatus(let status):
            maximumSlots = Int(status.maxlen == 0 ? 16 : status.maxlen)
            let answered = status.meshPacketID == 0 ? nil : statusWaiters.removeValue(forKey: status.meshPacketID)
            // Sends written but not yet answered are not in this count; each holds a slot.
            freeSlots = Int(status.free) - statusWaiters.count
            answered?.resume(returning: status)
            while freeSlots > 0, !slotWaiters.isEmpty { slotWaiters.removeFirst().resume() }
            eventSink.yield(.queueStatus(status))
        case .clientNotification(let notification):
            eventSink.yield(.notification(notification))
        case .nodeInfo(let info):
            snapshot?.nodes[info.num] = info
            eventSink.yield(.nodeUpdated(info))
        case .rebooted:
            // A rebooted device forgets the session: configure again.
            connection?.cancel()
        default:
            break
        }
    }

    public var queueSlots: (free: Int, maximum: Int) { (max(freeSlots, 0), maximumSlots) }
}
