import AsyncHTTPClient
import Foundation
import LoRaBridgeService
import PakitContracts
import PakitCore
import PakitIdentity
import PakitMeshtastic
import PakitTestSupport
import Testing

/// Index announcements and emergency alerts between whole nodes (`pakit up --radio`) on the
/// simulated line of four devices (`LoRaFetchTests.start`): A on device 0, B on 1, the test's
/// own client on 2, C on 3.
@Suite("LoRa: index announcements and emergency alerts", .serialized)
struct LoRaIndexAlertTests {
    @Test("A's pinned file shows up in B's and C's copies of A's index; B fetches it naming no peer; an alert from A reaches B and C, signed, and a forged one is dropped")
    func indexAndAlerts() async throws {
        let mesh = try await LoRaFetchTests.start()
        defer { mesh.stop() }
        try await Self.announcedAndFetched(mesh)
        try await Self.alertsSpread(mesh)
        try await Self.forgedAlertDropped(mesh)
    }

    static func providers(_ cid: String, on data: String) async throws -> [UInt32] {
        let result = try await LoRaFetchTests.pakit(["lora", "providers", "--json", cid], data: data)
        guard result.status == 0 else { throw TestFailure("pakit lora providers: \(result.stderr)") }
        guard let list = try? JSONDecoder().decode(LoRaPeerList.self, from: result.stdout) else {
            throw TestFailure("pakit lora providers printed no peer list: \(result.output)")
        }
        return list.peers.map(\.node.number)
    }

    /// Polls until `condition` holds (device time passes at the simulator's speed; the bridges
    /// read their pins every 60 s of it and announce changes at once).
    static func eventually(_ what: String, attempts: Int = 600, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<attempts {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("never happened: \(what)")
    }

    static func announcedAndFetched(_ mesh: LoRaFetchTests.RadioNodes) async throws {
        let (cid, bytes) = try await LoRaFetchTests.add(size: 900, seed: 500, on: mesh.data("A"))
        // Nobody announces it before A pins it; then B (one hop) and C (three hops) learn it.
        try await eventually("B lists A as a provider") { try await providers(cid, on: mesh.data("B")) == [mesh.numbers[0]] }
        try await eventually("C lists A as a provider") { try await providers(cid, on: mesh.data("C")) == [mesh.numbers[0]] }
        let status = try JSONDecoder().decode(RadioStatus.self, from: try await LoRaFetchTests.pakit(["lora", "status", "--json"], data: mesh.data("A")).stdout)
        #expect(status.indexEntries == 1)
        #expect(status.indexSequence >= 1)
        let peers = try JSONDecoder().decode(LoRaPeerList.self, from: try await LoRaFetchTests.pakit(["lora", "peers", "--json"], data: mesh.data("B")).stdout)
        let a = try #require(peers.peers.first { $0.node.number == mesh.numbers[0] })
        #expect(a.indexEntries == 1)
        #expect(a.indexInStep == true)
        // A CID nobody announces: no peer to ask, and nothing starts.
        let unknown = CID.raw(sha256Of: Array("not announced".utf8)).string
        #expect(try await providers(unknown, on: mesh.data("B")).isEmpty)
        let refused = try await LoRaFetchTests.pakit(["lora", "fetch", unknown], data: mesh.data("B"))
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("announces"), "\(refused.stderr)")
        // Named by no one, the file comes from the peer that announces it.
        let (code, transfer, output) = try await LoRaFetchTests.fetch(cid, on: mesh.data("B"))
        #expect(code == 0, "\(output)")
        #expect(transfer?.state == .stored, "\(output)")
        #expect(transfer?.peer.number == mesh.numbers[0])
        #expect(try await LoRaFetchTests.cat(cid, on: mesh.data("B")) == bytes)
        // Asked again, B answers from its own store at once: no request goes on air.
        let (again, held, heldOutput) = try await LoRaFetchTests.fetch(cid, on: mesh.data("B"))
        #expect(again == 0, "\(heldOutput)")
        #expect(held?.state == .stored && held?.requests == 0 && held?.peer.number == mesh.numbers[1])
    }

    static func radioStatus(on data: String) async throws -> RadioStatus {
        let result = try await LoRaFetchTests.pakit(["lora", "status", "--json"], data: data)
        guard let status = try? JSONDecoder().decode(RadioStatus.self, from: result.stdout) else {
            throw TestFailure("pakit lora status: \(result.output)")
        }
        return status
    }

    static func alerts(on data: String) async throws -> [LoRaAlert] {
        let result = try await LoRaFetchTests.pakit(["lora", "alerts", "--json"], data: data)
        guard result.status == 0 else { throw TestFailure("pakit lora alerts: \(result.stderr)") }
        guard let list = try? JSONDecoder().decode(LoRaAlertList.self, from: result.stdout) else {
            throw TestFailure("pakit lora alerts printed no alert list: \(result.output)")
        }
        return list.alerts
    }

    /// On this line C's only neighbour is a plain device (no bridge to relay the alert again), so
    /// the spread is checked without loss; `pakit-bench lora` measures it at 10 % over 50 nodes.
    static func alertsSpread(_ mesh: LoRaFetchTests.RadioNodes) async throws {
        let message = "Flood warning: Belize River rising at Bermudian Landing; move to high ground"
        let issued = try await LoRaFetchTests.pakit(["lora", "broadcast", "--json", "--severity", "3", message], data: mesh.data("A"))
        #expect(issued.status == 0, "\(issued.stderr)")
        let alert = try JSONDecoder().decode(LoRaAlert.self, from: issued.stdout)
        #expect(alert.own && alert.trusted)
        let key = try NodeIdentity.loadOrCreate(in: "\(mesh.data("A"))/keys").publicKey.rawRepresentation
        #expect(alert.publicKey == Hex.encode(key))
        for name in ["B", "C"] {
            try await eventually("\(name) shows A's alert") { try await alerts(on: mesh.data(name)).contains { $0.id == alert.id } }
            let heard = try #require(try await alerts(on: mesh.data(name)).first { $0.id == alert.id })
            #expect(heard.message == message)
            #expect(heard.severity == 3)
            #expect(heard.publicKey == alert.publicKey)
            #expect(!heard.own)
            #expect(!heard.trusted, "A's key is not in \(name)'s --alert-keys")
            #expect(heard.heardFrom.number == mesh.numbers[0])
        }
        // A heard B relay it (the device's implicit ACK), so it stopped repeating.
        try await eventually("A hears a relay") { try await alerts(on: mesh.data("A")).first { $0.id == alert.id }?.relayHeard == true }
        // Kept: a restart of B's bridge still shows it, and still counts the airtime it spent.
        let spent = try await radioStatus(on: mesh.data("B")).airtimeLastHourMs
        #expect(spent > 0)
        let pid = try #require(try LoRaFetchTests.bridgePID(mesh.data("B")))
        kill(pid, SIGKILL)
        try await eventually("B's bridge is back") {
            guard let now = try? LoRaFetchTests.bridgePID(mesh.data("B")) else { return false }
            return now != pid
        }
        try await eventually("B still shows the alert after a restart") {
            (try? await alerts(on: mesh.data("B")))?.contains { $0.id == alert.id } == true
        }
        let restarted = try await radioStatus(on: mesh.data("B"))
        #expect(restarted.airtimeLastHourMs >= spent, "the restarted bridge forgot its airtime")
        // The device's minute reports reach the bridge (DeviceMetrics over TELEMETRY_APP).
        try await eventually("B learns its device's transmit share") { try await radioStatus(on: mesh.data("B")).deviceAirUtilTxPercent != nil }
        // Bad requests change nothing.
        let tooLong = try await LoRaFetchTests.pakit(["lora", "broadcast", String(repeating: "x", count: 125)], data: mesh.data("A"))
        #expect(tooLong.status != 0)
        #expect(tooLong.stderr.contains("124"), "\(tooLong.stderr)")
        let badSeverity = try await LoRaFetchTests.pakit(["lora", "broadcast", "--severity", "5", "x"], data: mesh.data("A"))
        #expect(badSeverity.status != 0)
        #expect(try await alerts(on: mesh.data("A")).count == 1)
    }

    /// The test's client on device 2 broadcasts an alert whose text was changed after signing,
    /// then a genuine one: B keeps only the genuine one.
    static func forgedAlertDropped(_ mesh: LoRaFetchTests.RadioNodes) async throws {
        try await mesh.setLoss(0)
        let forger = MeshtasticDevice(endpoint: .tcp(host: "127.0.0.1", port: mesh.ports[2]), timeScale: mesh.speed, logger: .init(label: "test.forger"))
        let log = EventLog(forger)
        _ = try await forger.connect()
        defer { Task { await forger.disconnect() } }
        let key = try NodeIdentity.loadOrCreate(file: mesh.data("forger-ed25519.key"))
        let publicKey = Array(key.publicKey.rawRepresentation)
        var forged = LoRaMessage.Alert(id: 7, issuedAt: 1, severity: 4, message: Array("evacuate now".utf8), publicKey: publicKey, signature: [])
        forged.signature = try key.sign(forged.signedBytes)
        forged.message = Array("all clear".utf8)
        var genuine = LoRaMessage.Alert(id: 8, issuedAt: 1, severity: 0, message: Array("test message".utf8), publicKey: publicKey, signature: [])
        genuine.signature = try key.sign(genuine.signedBytes)
        for alert in [forged, genuine] {
            try await forger.send(.privateApp(to: MeshtasticAddress.broadcast, payload: LoRaMessage.alert(alert).encoded(), hopLimit: 0))
        }
        _ = log
        let genuineID = Hex.encode(publicKey.prefix(4)) + "00000008"
        try await eventually("B shows the genuine alert") { try await alerts(on: mesh.data("B")).contains { $0.id == genuineID } }
        #expect(try await alerts(on: mesh.data("B")).contains { $0.message == "all clear" || $0.message == "evacuate now" } == false)
    }
}

@Suite("LoRa: a busy channel defers bulk traffic", .serialized)
struct LoRaBusyChannelTests {
    @Test("while the test's client keeps the channel busy, B holds its fragments back (polite 25 %) and A's fetch still completes")
    func busyChannelDefersFragments() async throws {
        let mesh = try await LoRaFetchTests.start()
        defer { mesh.stop() }
        let (cid, bytes) = try await LoRaFetchTests.add(size: 200, seed: 600, on: mesh.data("B"))
        let before = try await Self.deferrals(on: mesh.data("B"))
        try await Self.fillChannel(mesh)
        try await LoRaIndexAlertTests.eventually("B hears the channel busy") {
            try await LoRaIndexAlertTests.radioStatus(on: mesh.data("B")).channelUtilizationPercent >= 25
        }
        let (status, transfer, output) = try await LoRaFetchTests.fetch(cid, on: mesh.data("A"), from: mesh.numbers[1])
        #expect(status == 0, "\(output)")
        #expect(transfer?.state == .stored, "\(output)")
        #expect(try await LoRaFetchTests.cat(cid, on: mesh.data("A")) == bytes)
        #expect(try await Self.deferrals(on: mesh.data("B")) > before, "B sent its fragment into a busy channel")
    }

    /// Fourteen full broadcasts from the test's client on device 2 to its neighbours (B and C):
    /// about 28 s of airtime in well under a minute.
    static func fillChannel(_ mesh: LoRaFetchTests.RadioNodes) async throws {
        let client = MeshtasticDevice(endpoint: .tcp(host: "127.0.0.1", port: mesh.ports[2]), timeScale: mesh.speed, logger: .init(label: "test.busy"))
        let log = EventLog(client)
        _ = try await client.connect()
        for index in 0..<14 {
            try await client.send(.privateApp(to: MeshtasticAddress.broadcast, payload: Array(repeating: UInt8(index), count: 231), hopLimit: 0))
        }
        _ = log
        Task { try? await Task.sleep(for: .seconds(120)); await client.disconnect() }
    }

    /// B's `pakit_lora_busy_channel_deferrals_total`, read from its bridge's /metrics.
    static func deferrals(on data: String) async throws -> Double {
        let client = try TestTLS.client(presenting: "operator", dataDirectory: data)
        do {
            let base = try String(contentsOfFile: "\(data)/lora-bridge.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let response = try await client.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(30))
            let body = String(buffer: try await response.body.collect(upTo: 4 << 20))
            try await client.shutdown()
            let line = body.split(separator: "\n").first { $0.hasPrefix("pakit_lora_busy_channel_deferrals_total") }
            return line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } } ?? 0
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
