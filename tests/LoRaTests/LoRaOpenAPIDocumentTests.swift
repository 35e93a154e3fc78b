import Foundation
import Logging
import LoRaBridgeService
import PakitContracts
import PakitService
import PakitTestSupport
import PakitTLS
import Testing

/// docs/lora-bridge-openapi.json stays true: the same routes as the bridge's router, both
/// ways, and its schemas have exactly the fields the contract types encode.
@Suite("LoRa bridge OpenAPI document")
struct LoRaOpenAPIDocumentTests {
    @Test("the document and the router agree both ways")
    func documentMatchesRouter() async throws {
        let directory = NSTemporaryDirectory() + "pakit-lora-doc-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The bridge's client to storage presents its certificate: issue the node's set.
        _ = try NodeCertificates.issue(in: "\(directory)/tls", identities: [ServiceName.loraBridge.rawValue])
        let configuration = try ServiceHost<LoRaBridgeNode>.configuration(
            arguments: ["--data-dir", directory, "--port", "0", "--radio", "127.0.0.1:1"], environment: [:])
        let node = try await LoRaBridgeNode.open(configuration, logger: Logger(label: "test"))
        let served = OpenAPIRoutes.served(ServiceHost<LoRaBridgeNode>.makeRouter(for: node))
        await node.close()
        let documented = try OpenAPIRoutes.documented("docs/lora-bridge-openapi.json")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 14)
    }

    @Test("documented schemas match the contract types field for field")
    func schemasMatchContracts() throws {
        let node = LoRaNodeID(number: 0x1234_abcd)
        let transfer = LoRaTransfer(id: "", cid: "", peer: node, state: .stored, size: 1, fragmentsReceived: 1, fragmentsTotal: 1,
                                    requests: 1, recoveredFromParity: 0, elapsedMs: 1, error: "")
        let peer = LoRaPeer(node: node, longName: "", shortName: "", hasPublicKey: true, hopsAway: 0, snr: 1, lastHeard: 1, indexEntries: 1, indexInStep: true)
        let alert = LoRaAlert(id: "", message: "", severity: 0, publicKey: "", trusted: true, own: true, heardFrom: node, issuedAt: 1, receivedAt: 1,
                              transmissions: 1, relayHeard: true)
        let entry = LoRaChainQueueEntry(key: "", call: "", route: "", state: .handed, attempts: 1, lastError: "", submissionID: "", createdAt: 1, updatedAt: 1)
        let samples: [String: any Encodable] = [
            "LoRaNodeID": node,
            "RadioStatus": RadioStatus(endpoint: "", connected: true, node: node, firmwareVersion: "", preset: "", region: "", hopLimit: 3,
                                       airtimeLastHourMs: 0, dutyCyclePercent: 10, dutyCycleHeadroomMs: 0, linkLossEstimate: 0,
                                       queueFree: 16, queueLength: 16, activeTransfers: 0, timeScale: 1, indexEntries: 0, indexSequence: 0,
                                       channelUtilizationPercent: 0, deviceChannelUtilizationPercent: 0, deviceAirUtilTxPercent: 0),
            "LoRaPeer": peer,
            "LoRaPeerList": LoRaPeerList(peers: [peer]),
            "LoRaFetchRequest": LoRaFetchRequest(cid: "", peer: ""),
            "LoRaTransfer": transfer,
            "LoRaBroadcastRequest": LoRaBroadcastRequest(message: "", severity: 2),
            "LoRaAlert": alert,
            "LoRaAlertList": LoRaAlertList(alerts: [alert]),
            "LoRaMeshRegistration": LoRaMeshRegistration(role: 3, hardware: 7, latitude: 1, longitude: 1, altitude: 1, district: 1, terrain: 3),
            "LoRaMeshTransactionRequest": LoRaMeshTransactionRequest(txHash: "", txType: 0, sender: "", recipient: "", amount: 0, nonce: 0,
                                                                     signatureHash: "", gateway: ""),
            "LoRaChainQueueEntry": entry,
            "LoRaChainQueue": LoRaChainQueue(entries: [entry], pending: 0, chainRelay: ""),
            "HealthResponse": HealthResponse(status: "", service: "", version: ""),
            "ReadyResponse": ReadyResponse(status: "", checks: [:]),
            "ErrorEnvelope": ErrorEnvelope(code: "", message: ""),
        ]
        let mismatches = try OpenAPIRoutes.schemaMismatches("docs/lora-bridge-openapi.json", samples: samples)
        #expect(mismatches.isEmpty, "schemas that differ from their contract types: \(mismatches)")
        #expect(node.id == "!1234abcd")
    }
}
