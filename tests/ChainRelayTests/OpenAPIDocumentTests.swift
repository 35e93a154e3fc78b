import ChainRelayService
import Foundation
import Logging
import PakitContracts
import PakitService
import PakitTestSupport
import Testing

/// docs/chain-relay-openapi.json stays true: the same routes as the relay's router, both ways,
/// and its schemas have exactly the fields the contract types encode.
@Suite("Chain relay OpenAPI document")
struct RelayOpenAPIDocumentTests {
    @Test("the document and the router agree both ways")
    func documentMatchesRouter() async throws {
        let directory = NSTemporaryDirectory() + "pakit-relay-doc-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try ServiceHost<ChainRelayNode>.configuration(arguments: ["--data-dir", directory, "--port", "0"], environment: [:])
        let node = try await ChainRelayNode.open(configuration, logger: Logger(label: "test"))
        let served = OpenAPIRoutes.served(ServiceHost<ChainRelayNode>.makeRouter(for: node))
        await node.close()
        let documented = try OpenAPIRoutes.documented("docs/chain-relay-openapi.json")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 7)
    }

    @Test("documented schemas match the contract types field for field")
    func schemasMatchContracts() throws {
        let record = SubmissionRecord(id: "", idempotencyKey: "", caller: "", call: .remark(hex: ""), state: .finalized, nonce: 0, txHash: "",
                                      signings: 1, blockHash: "", blockNumber: 0, extrinsicIndex: 0, error: "", note: "", submittedAt: 0, submittedBlock: 0, createdAt: 0,
                                      updatedAt: 0, finalizedAt: 0)
        let samples: [String: any Encodable] = [
            "SubmissionRequest": SubmissionRequest(idempotencyKey: "", call: .remark(hex: "")),
            "SubmissionRecord": record,
            "SubmissionListResponse": SubmissionListResponse(submissions: [record]),
            "ChainCall": ChainCall.remark(hex: ""),
            "RelayChainStatus": RelayChainStatus(node: "", connected: true, refusal: "", genesisHash: "", specName: "", specVersion: 0,
                                                 transactionVersion: 0, finalizedNumber: 0, checkpointNumber: 0, account: "", accountHex: "",
                                                 chainNonce: 0, nextNonce: 0, counts: [:]),
            "PaymentRecord": PaymentRecord(id: "", asset: "", payer: "", amount: "", blockNumber: 0, blockHash: "", extrinsicIndex: 0, recordedAt: 0),
            "PaymentListResponse": PaymentListResponse(payments: [], totals: [:]),
            "BnsHostingRecord": BnsHostingRecord(domain: "", contentHash: "", subscriber: "", tier: 0, expiresAt: 0, finalizedNumber: 0),
            "HealthResponse": HealthResponse(status: "", service: "", version: ""),
            "ReadyResponse": ReadyResponse(status: "", checks: [:]),
            "ErrorEnvelope": ErrorEnvelope(code: "", message: ""),
        ]
        let mismatches = try OpenAPIRoutes.schemaMismatches("docs/chain-relay-openapi.json", samples: samples)
        #expect(mismatches.isEmpty, "schemas that differ from their contract types: \(mismatches)")
    }
}
