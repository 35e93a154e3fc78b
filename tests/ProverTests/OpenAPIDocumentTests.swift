import Foundation
import PakitContracts
import PakitService
import PakitTestSupport
import Testing
@testable import ProverService

extension ProverServiceTests {
    /// docs/prover-openapi.json stays true: the same routes as the prover's router, both ways,
    /// and its schemas have exactly the fields the contract types encode.
    @Suite("OpenAPI document")
    struct OpenAPIDocument {
        @Test("the document and the router agree both ways: every served route is documented, every documented one served")
        func documentMatchesRouter() async throws {
            try await ProverTestNode.with { node in
                let served = OpenAPIRoutes.served(ServiceHost<ProverNode>.makeRouter(for: node.node))
                let documented = try OpenAPIRoutes.documented("docs/prover-openapi.json")
                #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
                #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
                #expect(served.count >= 9)
            }
        }

        @Test("documented schemas match the contract types field for field")
        func schemasMatchContracts() throws {
            let proof = SnarkjsProof(piA: [], piB: [], piC: [])
            let bundle = ProofBundle(circuit: "", proof: proof, publicSignals: [], proofHex: "", compressedHex: "", verifyingKeySha256: "")
            let opening = ChunkOpeningBody(index: 0, chunk: "", siblings: [])
            let info = CircuitInfo(circuit: "", constraints: 0, publicInputs: 0, openings: 0, development: true)
            let samples: [String: any Encodable] = [
                "SealSummary": SealSummary(root: "", chunkCount: 0, byteCount: 0, treeDepth: 0),
                "ChunkOpeningBody": opening,
                "ProveRequest": ProveRequest(circuit: "", root: "", openings: [opening]),
                "ProveResponse": ProveResponse(bundle: bundle, provingMilliseconds: 0, instance: ""),
                "CircuitList": CircuitList(circuits: [info]),
                "CircuitInfo": info,
                "ProofBundle": bundle,
                "SnarkjsProof": proof,
                "VerifyResponse": VerifyResponse(valid: true, reason: "", development: true),
                "HealthResponse": HealthResponse(status: "", service: "", version: ""),
                "ReadyResponse": ReadyResponse(status: "", checks: [:]),
                "ErrorEnvelope": ErrorEnvelope(code: "", message: ""),
            ]
            let mismatches = try OpenAPIRoutes.schemaMismatches("docs/prover-openapi.json", samples: samples)
            #expect(mismatches.isEmpty, "schemas that differ from their contract types: \(mismatches)")
        }
    }
}
