import AsyncHTTPClient
import Foundation
import LoRaBridgeService
import PakitContracts
import PakitCore
import PakitTestSupport
import Testing

/// Mesh-pallet calls through whole nodes on the simulated line (`LoRaFetchTests.start`): A and
/// B are gateways (their `pakit up` runs a chain relay, here with no chain, so it keeps what it
/// takes in its outbox); C hands its transactions to A over three hops of radio.
@Suite("LoRa: Mesh-pallet queue to the chain relay", .serialized)
struct LoRaMeshQueueTests {
    @Test("registration and heartbeats reach B's chain relay; C's transactions reach A's relay over LoRa, also across a kill -9 of C's bridge; bad calls change nothing")
    func meshPalletCalls() async throws {
        let mesh = try await LoRaFetchTests.start(environment: ["PAKIT_LORA_MESH_HEARTBEAT": "2"])
        defer { mesh.stop() }
        try await Self.registrationAndHeartbeats(mesh)
        try await Self.offGridTransactions(mesh)
        try await Self.badCalls(mesh)
    }

    static func queue(on data: String) async throws -> LoRaChainQueue {
        let result = try await LoRaFetchTests.pakit(["lora", "mesh", "queue", "--json"], data: data)
        guard result.status == 0, let queue = try? JSONDecoder().decode(LoRaChainQueue.self, from: result.stdout) else {
            throw TestFailure("pakit lora mesh queue: \(result.output)")
        }
        return queue
    }

    /// What the node's chain relay holds from the lora-bridge, read from the relay itself.
    static func relaySubmissions(on data: String) async throws -> [SubmissionRecord] {
        let client = try TestTLS.client(presenting: "operator", dataDirectory: data)
        do {
            let base = try String(contentsOfFile: "\(data)/chain-relay.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let response = try await client.execute(HTTPClientRequest(url: base + "/v1/submissions?caller=lora-bridge&limit=100"), timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 4 << 20)
            try await client.shutdown()
            guard response.status == .ok else { throw TestFailure("relay answered \(response.status)") }
            return try JSONDecoder().decode(SubmissionListResponse.self, from: Data(body.readableBytesView)).submissions
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func registrationAndHeartbeats(_ mesh: LoRaFetchTests.RadioNodes) async throws {
        let registered = try await LoRaFetchTests.pakit(
            ["lora", "mesh", "register", "--json", "--latitude", "17250000", "--longitude=-88770000", "--district", "1"], data: mesh.data("B"))
        #expect(registered.status == 0, "\(registered.output)")
        let entry = try JSONDecoder().decode(LoRaChainQueueEntry.self, from: registered.stdout)
        #expect(entry.call == "Mesh.register_node" && entry.route == "chain-relay")
        try await LoRaIndexAlertTests.eventually("B's relay takes the registration and a heartbeat") {
            let calls = try await relaySubmissions(on: mesh.data("B")).map(\.call)
            return calls.contains { if case .meshRegisterNode = $0 { true } else { false } }
                && calls.contains { if case .meshHeartbeat = $0 { true } else { false } }
        }
        let node = Hex.encode(withUnsafeBytes(of: mesh.numbers[1].bigEndian, Array.init))
        let submissions = try await relaySubmissions(on: mesh.data("B"))
        let registration = try #require(submissions.compactMap { if case .meshRegisterNode(let arguments) = $0.call { arguments } else { nil } }.first)
        // The node id is B's radio; the region comes from its device (EU_868 is the pallet's EU868, 1).
        #expect(registration.nodeID == node)
        #expect(registration.region == 1 && registration.role == 3 && registration.district == 1)
        #expect(submissions.contains { $0.call == .meshHeartbeat(nodeID: node) })
        let queue = try await queue(on: mesh.data("B"))
        let handed = try #require(queue.entries.first { $0.key == entry.key })
        #expect(handed.state == .handed)
        #expect(submissions.contains { $0.id == handed.submissionID })
    }

    static func transaction(_ seed: UInt8) -> [String] {
        let hash = Hex.encode([UInt8](repeating: seed, count: 32))
        return ["--tx-hash", hash, "--tx-type", "0", "--sender", "0a0b0c0d", "--recipient", "01020304", "--amount", "1500", "--nonce", "\(seed)",
                "--signature-hash", Hex.encode([UInt8](repeating: seed &+ 1, count: 32))]
    }

    static func offGridTransactions(_ mesh: LoRaFetchTests.RadioNodes) async throws {
        let gateway = LoRaNodeID(number: mesh.numbers[0]).id
        let first = try await LoRaFetchTests.pakit(["lora", "mesh", "transaction", "--json", "--gateway", gateway] + transaction(0x11), data: mesh.data("C"))
        #expect(first.status == 0, "\(first.output)")
        // The second is queued, then C's bridge is killed before it could be forwarded.
        let second = try await LoRaFetchTests.pakit(["lora", "mesh", "transaction", "--json", "--gateway", gateway] + transaction(0x22), data: mesh.data("C"))
        #expect(second.status == 0, "\(second.output)")
        let pid = try #require(try LoRaFetchTests.bridgePID(mesh.data("C")))
        kill(pid, SIGKILL)
        let keys = ["lora-meshtx-" + String(repeating: "11", count: 32), "lora-meshtx-" + String(repeating: "22", count: 32)]
        try await LoRaIndexAlertTests.eventually("C's queue shows both forwarded", attempts: 1500) {
            guard let queue = try? await queue(on: mesh.data("C")) else { return false }
            return keys.allSatisfy { key in queue.entries.contains { $0.key == key && $0.state == .forwarded } }
        }
        #expect(try LoRaFetchTests.bridgePID(mesh.data("C")) != pid)
        try await LoRaIndexAlertTests.eventually("A's relay holds both") {
            let held = try await relaySubmissions(on: mesh.data("A")).map(\.idempotencyKey)
            return keys.allSatisfy(held.contains)
        }
        let submissions = try await relaySubmissions(on: mesh.data("A"))
        for key in keys {
            // Once each, however often C asked.
            #expect(submissions.filter { $0.idempotencyKey == key }.count == 1)
        }
        let arguments = try #require(submissions.compactMap { if case .meshTransaction(let arguments) = $0.call, arguments.nonce == 0x11 { arguments } else { nil } }.first)
        #expect(arguments.gatewayNodeID == Hex.encode(withUnsafeBytes(of: mesh.numbers[0].bigEndian, Array.init)))
        #expect(arguments.hopCount == 2, "C's frames pass two relays to reach A")
        #expect(arguments.amount == 1500 && arguments.senderCompact == "0a0b0c0d" && arguments.recipientCompact == "01020304")
        #expect(try await queue(on: mesh.data("A")).entries.filter { keys.contains($0.key) }.allSatisfy { $0.state == .handed })
    }

    static func badCalls(_ mesh: LoRaFetchTests.RadioNodes) async throws {
        let before = try await queue(on: mesh.data("C")).entries.count
        let badDistrict = try await LoRaFetchTests.pakit(
            ["lora", "mesh", "register", "--latitude", "1", "--longitude", "1", "--district", "9"], data: mesh.data("C"))
        #expect(badDistrict.status != 0)
        #expect(badDistrict.stderr.contains("district"), "\(badDistrict.stderr)")
        var zeroSignature = transaction(0x33)
        zeroSignature[zeroSignature.count - 1] = String(repeating: "00", count: 32)
        let zero = try await LoRaFetchTests.pakit(["lora", "mesh", "transaction", "--gateway", "1"] + zeroSignature, data: mesh.data("C"))
        #expect(zero.status != 0)
        let unknownGateway = try await LoRaFetchTests.pakit(["lora", "mesh", "transaction", "--gateway", "!00000001"] + transaction(0x44), data: mesh.data("C"))
        #expect(unknownGateway.status != 0)
        #expect(unknownGateway.stderr.contains("does not know"), "\(unknownGateway.stderr)")
        #expect(try await queue(on: mesh.data("C")).entries.count == before)
    }
}
