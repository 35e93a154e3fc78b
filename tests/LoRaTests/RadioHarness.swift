import Foundation
import Logging
import LoRaBridgeService
import LoRaSimulator
import PakitMeshtastic
import PakitTestSupport

/// A running radio simulator (in this process, real TCP ports) and device clients on it.
final class SimulatedMesh: Sendable {
    let simulator: LoRaSimulator
    private let runner: Task<Void, Never>

    init(_ topology: Topology, speed: Double, preloadNodeDB: Bool = true, nodeInfoBroadcasts: Bool = false) async throws {
        simulator = try await LoRaSimulator.start(.init(
            topology: topology, speed: speed, preloadNodeDB: preloadNodeDB, nodeInfoBroadcasts: nodeInfoBroadcasts
        ), logger: Logger(label: "test.lora-sim"))
        let simulator = simulator
        runner = Task { try? await simulator.run() }
    }

    func endpoint(_ node: Int) -> RadioEndpoint { .tcp(host: "127.0.0.1", port: simulator.nodes[node].port) }
    func number(_ node: Int) -> UInt32 { simulator.nodes[node].number }

    /// A connected, configured device client on node, with its events collected.
    func device(_ node: Int) async throws -> (MeshtasticDevice, EventLog) {
        let device = MeshtasticDevice(endpoint: endpoint(node), timeScale: simulator.configuration.speed, logger: Logger(label: "test.device"))
        let log = EventLog(device)
        _ = try await device.connect()
        return (device, log)
    }

    func report(_ node: Int) async -> SimulatedNodeReport { await simulator.report()[node] }

    func stop() { runner.cancel() }
}

/// Collects a device's events so a test can wait for one that matches. It keeps the device
/// alive (a device client that is released stops delivering events).
actor EventLog {
    let device: MeshtasticDevice
    private(set) var events: [DeviceEvent] = []
    private var waiters: [(id: Int, match: @Sendable (DeviceEvent) -> Bool, continuation: CheckedContinuation<DeviceEvent?, Never>)] = []
    private var nextWaiter = 0

    init(_ device: MeshtasticDevice) {
        self.device = device
        let stream = device.events
        Task { [weak self] in
            for await event in stream { await self?.append(event) }
        }
    }

    private func append(_ event: DeviceEvent) {
        events.append(event)
        var remaining: [(id: Int, match: @Sendable (DeviceEvent) -> Bool, continuation: CheckedContinuation<DeviceEvent?, Never>)] = []
        for waiter in waiters {
            if waiter.match(event) { waiter.continuation.resume(returning: event) } else { remaining.append(waiter) }
        }
        waiters = remaining
    }

    /// The first event (already seen or still to come) that matches, or nil after `timeout`
    /// of wall-clock time (a bound for a broken build, not a measurement).
    func first(timeout: Duration = .seconds(60), where match: @escaping @Sendable (DeviceEvent) -> Bool) async -> DeviceEvent? {
        if let seen = events.first(where: match) { return seen }
        nextWaiter += 1
        let id = nextWaiter
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            await self?.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { waiters.append((id, match, $0)) }
    }

    private func expire(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
    }

    /// The first packet on `port` from `from` (any sender when nil) that matches.
    func packet(
        port: MeshtasticPortNum, from: UInt32? = nil, timeout: Duration = .seconds(60),
        where match: @escaping @Sendable (MeshtasticMeshPacket) -> Bool = { _ in true }
    ) async -> MeshtasticMeshPacket? {
        let event = await first(timeout: timeout) { event in
            guard case .packet(let packet) = event, case .decoded(let data)? = packet.payloadVariant, data.portnum == port else { return false }
            return (from == nil || packet.from == from) && match(packet)
        }
        guard case .packet(let packet)? = event else { return nil }
        return packet
    }

    /// The ROUTING answer (ACK or NAK) naming request id, and its error.
    func routing(for requestID: UInt32, timeout: Duration = .seconds(60)) async -> (packet: MeshtasticMeshPacket, error: MeshtasticRouting.Error)? {
        guard let packet = await packet(port: .routingApp, timeout: timeout, where: { $0.decoded.requestID == requestID }),
              let routing = try? MeshtasticRouting(serializedBytes: packet.decoded.payload) else { return nil }
        if case .errorReason(let reason)? = routing.variant { return (packet, reason) }
        return (packet, .none)
    }
}

extension MeshtasticMeshPacket {
    /// A PRIVATE_APP packet as the bridge sends it (never with want_response).
    static func privateApp(to destination: UInt32, payload: [UInt8], wantAck: Bool = false, hopLimit: UInt32 = 3) -> MeshtasticMeshPacket {
        var data = MeshtasticDataPayload()
        data.portnum = .privateApp
        data.payload = Data(payload)
        var packet = MeshtasticMeshPacket()
        packet.to = destination
        packet.decoded = data
        packet.wantAck = wantAck
        packet.hopLimit = hopLimit
        return packet
    }
}

let broadcastAddress = MeshtasticAddress.broadcast
