import Foundation
import LoRaBridgeService
import LoRaSimulator
import NIOCore
import NIOPosix
import PakitMeshtastic
import PakitTestSupport
import Testing

/// The radio simulator's device contract (docs/lora-bridge.md, "Radio simulator"), through the
/// real client stream API over TCP with the bridge's device client.
@Suite("Radio simulator")
struct SimulatorTests {
    @Test("handshake: my_info, own node, metadata, 8 channels, LoRa config and the node database")
    func handshake() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 3), speed: 20)
        defer { mesh.stop() }
        let (device, _) = try await mesh.device(1)
        let snapshot = try #require(await device.snapshot)
        #expect(snapshot.myNodeNumber == mesh.number(1))
        #expect(snapshot.user.id == String(format: "!%08x", mesh.number(1)))
        #expect(snapshot.user.publicKey.count == 32)
        #expect(snapshot.user.hwModel == .portduino)
        #expect(snapshot.metadata.firmwareVersion == "2.7.26-sim")
        #expect(snapshot.channels.count == 8)
        #expect(snapshot.channels.first?.role == .primary)
        #expect(snapshot.channels.dropFirst().allSatisfy { $0.role == .disabled })
        #expect(snapshot.lora.modemPreset == .longFast)
        #expect(snapshot.lora.region == .eu868)
        #expect(snapshot.hopLimit == 3)
        #expect(Set(snapshot.nodes.keys) == [mesh.number(0), mesh.number(2)])
        #expect(snapshot.publicKey(of: mesh.number(0))?.count == 32)
        #expect(snapshot.modulation == .longFast)
    }

    @Test("a broadcast reaches the neighbour directly and the next node through a relay")
    func broadcastIsRelayed() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 3), speed: 20)
        defer { mesh.stop() }
        let (sender, _) = try await mesh.device(0)
        let (_, middle) = try await mesh.device(1)
        let (_, far) = try await mesh.device(2)
        let id = try await sender.send(.privateApp(to: broadcastAddress, payload: Array("hello mesh".utf8)))
        let direct = try #require(await middle.packet(port: .privateApp, from: mesh.number(0)))
        #expect(direct.id == id)
        #expect(direct.decoded.payload == Data("hello mesh".utf8))
        #expect(direct.hopStart == 3 && direct.hopLimit == 3)
        let relayed = try #require(await far.packet(port: .privateApp, from: mesh.number(0)))
        #expect(relayed.id == id)
        #expect(relayed.hopStart == 3 && relayed.hopLimit == 2)
        #expect(relayed.relayNode == mesh.number(1) & 0xFF)
        #expect(relayed.transportMechanism == .transportLora)
    }

    @Test("a unicast with want_ack is delivered PKI-encrypted once and answered with an ACK")
    func unicastIsAcknowledged() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 3), speed: 20)
        defer { mesh.stop() }
        let (sender, senderLog) = try await mesh.device(0)
        let (_, destination) = try await mesh.device(2)
        let id = try await sender.send(.privateApp(to: mesh.number(2), payload: [1, 2, 3], wantAck: true))
        let packet = try #require(await destination.packet(port: .privateApp, from: mesh.number(0)))
        #expect(packet.id == id && packet.pkiEncrypted && packet.publicKey.count == 32)
        let answer = try #require(await senderLog.routing(for: id))
        #expect(answer.error == .none)
        #expect(answer.packet.from == mesh.number(2))
        // The copy relayed by node 1 is not delivered to node 1's client (not addressed to it).
        #expect(await mesh.report(1).counters.deliveredToClient == 0)
        #expect(await mesh.report(2).counters.deliveredToClient == 1)
    }

    @Test("payload limits: 231 / 219 bytes pass, 232 / 220 are refused with TOO_LARGE")
    func payloadLimits() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 20)
        defer { mesh.stop() }
        let (device, log) = try await mesh.device(0)
        try await device.send(.privateApp(to: broadcastAddress, payload: Array(repeating: 7, count: 231)))
        try await device.send(.privateApp(to: mesh.number(1), payload: Array(repeating: 7, count: 219)))
        for (destination, size) in [(broadcastAddress, 232), (mesh.number(1), 220)] {
            var packet = MeshtasticMeshPacket.privateApp(to: destination, payload: Array(repeating: 7, count: size))
            packet.id = await device.freshPacketID()
            let id = packet.id
            await #expect(throws: RadioError.refused(code: 7, reason: "tooLarge")) { try await device.send(packet) }
            #expect(await log.routing(for: id)?.error == .tooLarge)
        }
        #expect(await mesh.report(0).counters.refusedTooLarge == 2)
    }

    @Test("a unicast to a node whose key the device does not know fails with PKI_SEND_FAIL_PUBLIC_KEY")
    func unknownPublicKey() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 20, preloadNodeDB: false)
        defer { mesh.stop() }
        let (device, _) = try await mesh.device(0)
        #expect(await device.snapshot?.nodes.isEmpty == true)
        await #expect(throws: RadioError.refused(code: 39, reason: "pkiSendFailPublicKey")) {
            try await device.send(.privateApp(to: mesh.number(1), payload: [1]))
        }
        // Broadcasts need no key.
        try await device.send(.privateApp(to: broadcastAddress, payload: [1]))
    }

    @Test("a device learns another node's key from its NodeInfo broadcast; unicast to it then works")
    func nodeInfoIsLearned() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 50, preloadNodeDB: false, nodeInfoBroadcasts: true)
        defer { mesh.stop() }
        let (device, log) = try await mesh.device(0)
        // Node 1 announces itself within 30 simulated seconds: before this client connected (the
        // handshake then lists it) or after (the NODEINFO_APP packet reaches the client).
        if await device.snapshot?.publicKey(of: mesh.number(1)) == nil {
            let info = try #require(await log.packet(port: .nodeinfoApp, from: mesh.number(1)))
            #expect(try MeshtasticUser(serializedBytes: info.decoded.payload).publicKey.count == 32)
        }
        let key = try #require(await device.snapshot?.publicKey(of: mesh.number(1)))
        #expect(key.count == 32)
        #expect(await mesh.report(0).knownNodes == 1)
        try await device.send(.privateApp(to: mesh.number(1), payload: [1]))
    }

    @Test("a repeated packet id is dropped silently, as the firmware does")
    func repeatedIDIsDropped() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 20)
        defer { mesh.stop() }
        let (device, _) = try await mesh.device(0)
        var packet = MeshtasticMeshPacket.privateApp(to: broadcastAddress, payload: [9])
        packet.id = await device.freshPacketID()
        try await device.send(packet)
        await #expect(throws: RadioError.noAnswer) { try await device.send(packet, answerTimeout: .seconds(2)) }
        let counters = await mesh.report(0).counters
        #expect(counters.droppedRepeatedID == 1)
        #expect(counters.clientPackets == 2)
    }

    @Test("an unreachable destination ends in MAX_RETRANSMIT after three transmissions")
    func maxRetransmit() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2, loss: 0.99, seed: 3), speed: 100)
        defer { mesh.stop() }
        let (device, log) = try await mesh.device(0)
        let id = try await device.send(.privateApp(to: mesh.number(1), payload: [1], wantAck: true))
        let answer = try #require(await log.routing(for: id))
        #expect(answer.error == .maxRetransmit)
        #expect(answer.packet.from == mesh.number(0))
        #expect(await mesh.report(0).counters.transmitted == 3)
    }

    @Test("duty cycle: once the hour's airtime is over the region's limit, sends are refused with a notification")
    func dutyCycleLimit() async throws {
        // UA_868 allows 1% (36 s of airtime per hour): 17 full LongFast packets. At 50× a loaded
        // host's pause stays far below the device's 15-minute idle timeout (18 s of wall clock).
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2, region: 15), speed: 50)
        defer { mesh.stop() }
        let (device, log) = try await mesh.device(0)
        var accepted = 0
        var refusal: RadioError?
        while refusal == nil, accepted < 100 {
            do {
                try await device.send(.privateApp(to: broadcastAddress, payload: Array(repeating: 1, count: 231), hopLimit: 0))
                accepted += 1
            } catch {
                refusal = error
            }
        }
        #expect(refusal == .refused(code: 9, reason: "dutyCycleLimit"))
        // The firmware checks the airtime already spent when a packet is handed over, so at
        // least the 17 packets that fit in 36 s pass, and those already queued go out too.
        let airtime = LoRaModulation.longFast.timeOnAirMs(payloadBytes: 255)
        #expect(accepted >= Int((36_000 / airtime).rounded(.up)))
        let notification = await log.first { event in
            if case .notification(let note) = event { return note.message.hasPrefix("Duty cycle limit exceeded. You can send again in ") }
            return false
        }
        #expect(notification != nil)
        let report = await mesh.report(0)
        #expect(report.counters.refusedDutyCycle == 1)
        #expect(report.airtimeLastHourMs > 36_000)
    }

    @Test("hidden terminals collide at the node between them; a 6 dB stronger signal is captured")
    func collisionsAndCapture() async throws {
        // 0 and 2 cannot hear each other (no carrier sense) and are equally far from 1. Real-time
        // speed: the two sends must overlap on air whatever the host's scheduling delays.
        let equal = try Topology(
            positions: [.init(x: 0, y: 0), .init(x: 2000, y: 0), .init(x: 4000, y: 0)], links: [(0, 1), (1, 2)]
        )
        let mesh = try await SimulatedMesh(equal, speed: 1)
        defer { mesh.stop() }
        let (left, _) = try await mesh.device(0)
        let (right, _) = try await mesh.device(2)
        let (_, middle) = try await mesh.device(1)
        async let a = left.send(.privateApp(to: broadcastAddress, payload: Array(repeating: 1, count: 200), hopLimit: 0))
        async let b = right.send(.privateApp(to: broadcastAddress, payload: Array(repeating: 2, count: 200), hopLimit: 0))
        _ = try await (a, b)
        // Both packets overlap for most of their 2 s on air: once both have ended, neither was heard.
        let both = try await Self.receptionsSettle(mesh, node: 1, count: 2)
        #expect(both.lostToCollision == 2)
        #expect(both.deliveredToClient == 0)
        #expect(await middle.events.contains { if case .packet(let packet) = $0 { packet.decoded.portnum == .privateApp } else { false } } == false)

        // Node 2 ten times closer: 27 dB stronger at node 1, which captures it.
        let unequal = try Topology(
            positions: [.init(x: 0, y: 0), .init(x: 2000, y: 0), .init(x: 2200, y: 0)], links: [(0, 1), (1, 2)]
        )
        let second = try await SimulatedMesh(unequal, speed: 1)
        defer { second.stop() }
        let (far, _) = try await second.device(0)
        let (near, _) = try await second.device(2)
        let (_, hub) = try await second.device(1)
        async let c = far.send(.privateApp(to: broadcastAddress, payload: Array(repeating: 1, count: 200), hopLimit: 0))
        async let d = near.send(.privateApp(to: broadcastAddress, payload: Array(repeating: 2, count: 200), hopLimit: 0))
        _ = try await (c, d)
        let heard = try #require(await hub.packet(port: .privateApp))
        #expect(heard.from == second.number(2))
        let captured = try await Self.receptionsSettle(second, node: 1, count: 2)
        #expect(captured.lostToCollision == 1)
        #expect(captured.received == 1)
    }

    /// Node's counters once `count` transmissions reaching it have ended (heard or lost).
    static func receptionsSettle(_ mesh: SimulatedMesh, node: Int, count: Int) async throws -> DeviceCounters {
        for _ in 0..<1500 {
            let counters = await mesh.report(node).counters
            if counters.received + counters.lostToCollision + counters.lostToLoss + counters.lostWhileTransmitting >= count { return counters }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the transmissions to node \(node) did not end")
    }

    @Test("garbage on the stream is skipped and the device still answers; a second client replaces the first")
    func garbageAndOneClientAtATime() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 20)
        defer { mesh.stop() }
        let (first, firstLog) = try await mesh.device(0)
        // A raw client: debug text, a false start, an oversize header, then a want_config_id.
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: mesh.simulator.nodes[0].port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        var request = MeshtasticToRadio()
        request.wantConfigID = 4242
        let garbage: [UInt8] = Array("boot log line\n".utf8) + [0x94, 0x00, 0x94, 0xC3, 0x02, 0x01, 0xFF, 0x13]
        let completed = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: garbage + StreamFraming.frame(try request.serializedBytes() as [UInt8])))
            var decoder = StreamFrameDecoder()
            for try await buffer in inbound {
                decoder.append(buffer.readableBytesView)
                while let frame = decoder.nextFrame() {
                    let message = try MeshtasticFromRadio(serializedBytes: frame)
                    if case .configCompleteID(let nonce)? = message.payloadVariant { return nonce }
                }
            }
            return UInt32(0)
        }
        #expect(completed == 4242)
        // The raw client took the device over: the first client's connection was closed.
        let ended = await firstLog.first { if case .disconnected = $0 { return true } else { return false } }
        #expect(ended != nil)
        await #expect(throws: RadioError.notConnected) { try await first.send(.privateApp(to: broadcastAddress, payload: [1])) }
    }
}

extension SimulatorTests {
    @Test("every minute of device time a device reports its DeviceMetrics to its client: channel utilisation and its own transmit share")
    func deviceTelemetry() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 50)
        defer { mesh.stop() }
        let (sender, senderLog) = try await mesh.device(0)
        let (_, listenerLog) = try await mesh.device(1)
        for index in 0..<4 {
            try await sender.send(.privateApp(to: broadcastAddress, payload: Array(repeating: UInt8(index), count: 200), hopLimit: 0))
        }
        // Four 200-byte broadcasts on LongFast: about 7 s of airtime, sent within a minute.
        let airtime = 4 * LoRaModulation.longFast.timeOnAirMs(payloadBytes: PayloadLimits.onAirBytes(
            encodedDataLength: PayloadLimits.encodedDataLength(payloadLength: 200), pki: false))
        let hourShare = Float(airtime * 0.99 / 3_600_000 * 100)
        let report = await senderLog.packet(port: .telemetryApp, from: mesh.number(0), timeout: .seconds(30)) { packet in
            (Self.metrics(packet)?.airUtilTx ?? 0) >= hourShare
        }
        let own = try #require(report, "the sender never reported its own airtime")
        let metrics = try #require(Self.metrics(own))
        #expect(Double(metrics.airUtilTx) * 3_600_000 / 100 <= airtime * 1.01)
        #expect(own.to == broadcastAddress)
        // The listener heard the same airtime: its channel utilisation over the minute shows it.
        let heard = try #require(await listenerLog.packet(port: .telemetryApp, from: mesh.number(1), timeout: .seconds(30)) { packet in
            (Self.metrics(packet)?.channelUtilization ?? 0) > 0
        })
        #expect(Double(try #require(Self.metrics(heard)).channelUtilization) <= airtime / 60_000 * 100 * 1.01)
        #expect(Self.metrics(heard)?.airUtilTx == 0)
    }

    static func metrics(_ packet: MeshtasticMeshPacket) -> MeshtasticDeviceMetrics? {
        guard let telemetry = try? MeshtasticTelemetry(serializedBytes: packet.decoded.payload), case .deviceMetrics(let metrics)? = telemetry.variant else {
            return nil
        }
        return metrics
    }
}

extension SimulatorTests {
    @Test("a client that sends nothing for 15 minutes of device time is disconnected, as the firmware does")
    func idleClientIsDropped() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 300)
        defer { mesh.stop() }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: mesh.simulator.nodes[0].port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        var request = MeshtasticToRadio()
        request.wantConfigID = 77
        // Handshake, then silence (no heartbeats): the device ends the stream. A watchdog closes
        // it from this side after a minute (an hour and a half of device time) if it does not.
        let underlying = channel.channel
        let watchdog = Task {
            guard (try? await Task.sleep(for: .seconds(60))) != nil else { return }
            underlying.close(promise: nil)
        }
        defer { watchdog.cancel() }
        let started = ContinuousClock.now
        let configured = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: StreamFraming.frame(try request.serializedBytes() as [UInt8])))
            var configured = false
            var decoder = StreamFrameDecoder()
            for try await buffer in inbound {
                decoder.append(buffer.readableBytesView)
                while let frame = decoder.nextFrame() {
                    if case .configCompleteID(77)? = try MeshtasticFromRadio(serializedBytes: frame).payloadVariant { configured = true }
                }
            }
            return configured
        }
        let outcome = !configured ? "closed before the handshake"
            : ContinuousClock.now - started < .seconds(55) ? "closed after the handshake" : "still open after an hour of device time"
        #expect(outcome == "closed after the handshake")
    }
}

extension SimulatorTests {
    @Test("over a serial line (a pseudo-terminal set raw as a USB port): the handshake, a packet out and a packet in")
    func serialLine() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 20)
        defer { mesh.stop() }
        // tests/compat/serial_line.py: a pty joined to device 0's TCP port.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../compat/serial_line.py").standardizedFileURL.path
        let (line, control) = try LineProcess.launchWithInput("/usr/bin/env", ["python3", script, "127.0.0.1", "\(mesh.simulator.nodes[0].port)"])
        defer {
            try? control.close()
            line.terminate()
        }
        let path = try #require(try await line.nextJSON()["path"] as? String)
        #expect(path.hasPrefix("/dev/pts/"))
        let device = MeshtasticDevice(endpoint: try RadioEndpoint(parsing: path), timeScale: 20, logger: .init(label: "test.serial"))
        let log = EventLog(device)
        let snapshot = try await device.connect()
        #expect(snapshot.myNodeNumber == mesh.number(0))
        #expect(snapshot.channels.count == 8)
        let (neighbour, neighbourLog) = try await mesh.device(1)
        try await device.send(.privateApp(to: broadcastAddress, payload: Array("over the wire".utf8), hopLimit: 0))
        let out = try #require(await neighbourLog.packet(port: .privateApp, from: mesh.number(0)))
        #expect(out.decoded.payload == Data("over the wire".utf8))
        try await neighbour.send(.privateApp(to: broadcastAddress, payload: Array("and back".utf8), hopLimit: 0))
        let back = try #require(await log.packet(port: .privateApp, from: mesh.number(1)))
        #expect(back.decoded.payload == Data("and back".utf8))
        await device.disconnect()
    }
}

extension SimulatorTests {
    @Test("the device client survives garbage between the device's frames: random protobufs, truncated and bit-flipped copies, text")
    func garbledStreamIsSurvived() async throws {
        let mesh = try await SimulatedMesh(Topology.shape("line", nodes: 2), speed: 20)
        defer { mesh.stop() }
        // tests/compat/noisy_line.py joins our client to device 0 and mixes garbage into what the device sends.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../compat/noisy_line.py").standardizedFileURL.path
        let line = try LineProcess.launch("/usr/bin/env", ["python3", script, "127.0.0.1", "\(mesh.simulator.nodes[0].port)", "12"])
        defer { line.terminate() }
        let port = try #require((try await line.nextJSON()["port"] as? NSNumber)?.intValue)
        let device = MeshtasticDevice(endpoint: .tcp(host: "127.0.0.1", port: port), timeScale: 20, logger: .init(label: "test.noisy"))
        let log = EventLog(device)
        // The stream framing has no checksum: a bit-flipped copy of a real frame can be a valid
        // message (another node number, one more channel). What counts is that nothing traps and
        // the real traffic still gets through.
        _ = try await device.connect()
        let (neighbour, _) = try await mesh.device(1)
        for index in 0..<20 {
            try await neighbour.send(.privateApp(to: broadcastAddress, payload: Array("packet \(index)".utf8), hopLimit: 0))
        }
        // Every real packet still arrives, whatever garbage came between them.
        for index in 0..<20 {
            let packet = await log.packet(port: .privateApp, from: mesh.number(1)) { $0.decoded.payload == Data("packet \(index)".utf8) }
            #expect(packet != nil, "packet \(index) was lost in the noise")
        }
        var injected = 0
        while injected < 20, let event = try? await line.nextJSON() { injected = (event["injected"] as? NSNumber)?.intValue ?? injected }
        #expect(injected >= 20)
        // And the client still sends.
        try await device.send(.privateApp(to: broadcastAddress, payload: [1, 2, 3], hopLimit: 0))
        await device.disconnect()
    }
}
