import Foundation
import NIOHTTP1
import PakitContracts
import PakitService
import PakitTestSupport
import StorageService
import Testing

/// docs/openapi.json stays true: every documented route exists on a running node, and every
/// documented schema has exactly the fields our contract types encode.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    static var document: [String: Any] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/openapi.json")
        guard let data = try? Data(contentsOf: path), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }

    @Test("the document and the router agree both ways: every served route is documented, every documented one served")
    func documentMatchesRouter() async throws {
        try await TestNode.with(.sqlite) { node in
            let served = OpenAPIRoutes.served(ServiceHost<StorageNode>.makeRouter(for: node.node))
            let documented = try OpenAPIRoutes.documented("docs/openapi.json")
            #expect(served.subtracting(documented).isEmpty, "served but not in docs/openapi.json: \(served.subtracting(documented).sorted())")
            #expect(documented.subtracting(served).isEmpty, "in docs/openapi.json but not served: \(documented.subtracting(served).sorted())")
        }
    }

    @Test("every documented path and method is served (no route_not_found, no 405)")
    func routesExist() async throws {
        let paths = try #require(Self.document["paths"] as? [String: [String: Any]], "docs/openapi.json has no paths")
        #expect(paths.count >= 15)
        try await TestNode.with(.sqlite) { node in
            let cid = try await node.add(Array("openapi".utf8)).cid
            for (template, operations) in paths.sorted(by: { $0.key < $1.key }) {
                let path = template.replacingOccurrences(of: "{cid}", with: cid).replacingOccurrences(of: "{path}", with: "x")
                    .replacingOccurrences(of: "{id}", with: String(repeating: "0", count: 32))
                for method in operations.keys {
                    guard let httpMethod = ["get": HTTPMethod.GET, "head": .HEAD, "put": .PUT, "post": .POST, "delete": .DELETE][method] else { continue }
                    let reply = try await node.send(httpMethod, path, body: httpMethod == .POST ? Array("{}".utf8) : nil,
                                                    headers: [("Content-Type", "application/json")])
                    #expect(reply.errorCode != "route_not_found", "\(method.uppercased()) \(template) is documented but not served")
                    #expect(reply.status != .methodNotAllowed, "\(method.uppercased()) \(template) is documented but not allowed")
                }
            }
        }
    }

    static let bundle = ProofBundle(circuit: "", proof: SnarkjsProof(piA: [], piB: [], piC: []), publicSignals: [], proofHex: "",
                                    compressedHex: "", verifyingKeySha256: "")
    static let key = SnarkjsVerifyingKey(nPublic: 0, vkAlpha1: [], vkBeta2: [], vkGamma2: [], vkDelta2: [], vkAlphabeta12: [], ic: [],
                                         pakitSetup: "")

    static let job = JobRecord(id: "", kind: "", state: .done, payload: "", idempotencyKey: "", attempts: 0, maxAttempts: 1, notBefore: 0,
                               leaseHolder: "", leaseExpiresAt: 0, progress: "", result: "", lastError: "", createdAt: 0, updatedAt: 0,
                               completedAt: 0)

    static let submission = SubmissionRecord(id: "", idempotencyKey: "", caller: "", call: .remark(hex: ""), state: .finalized, nonce: 0, txHash: "",
                                             signings: 1, blockHash: "", blockNumber: 0, extrinsicIndex: 0, error: "", note: "", submittedAt: 0, submittedBlock: 0, createdAt: 0,
                                             updatedAt: 0, finalizedAt: 0)

    static let statement = ReplicaStatement(cid: "", peerID: "", heldAt: 0, blocks: 0, bytes: 0, signature: "")

    @Test("documented schemas match the contract types field for field")
    func schemasMatchContracts() throws {
        let samples: [String: any Encodable] = [
            "FileAddResponse": FileAddResponse(cid: "", size: 0, blocks: 0, leaves: 0, blake2Root: "", profile: "", name: "", pinned: true),
            "DirectoryCreateResponse": DirectoryCreateResponse(cid: "", size: 0, entries: 0, pinned: true),
            "BlockStat": BlockStat(cid: "", size: 0, storedSize: 0, compression: ""),
            "CARImportResponse": CARImportResponse(roots: [], blocks: 0, bytes: 0, pinned: true),
            "Pin": Pin(cid: "", name: "", createdAt: "", replicas: 2, confirmedReplicas: 1, replicaFor: [""]),
            "PinStatus": PinStatus(pin: Pin(cid: "", name: "", createdAt: ""), replicas: []),
            "ReplicaInfo": ReplicaInfo(peerID: "", storageURL: "", state: .confirmed, reason: "", updatedAt: "", statement: Self.statement),
            "ReplicaStatement": Self.statement,
            "ReplicaRequest": ReplicaRequest(cid: "", bytes: 0),
            "PinList": PinList(pins: [], next: ""),
            "GCResponse": GCResponse(removedBlocks: 0, freedBytes: 0, removedCIDs: []),
            "StatsResponse": StatsResponse(logicalBytes: 0, uniqueBytes: 0, storedBytes: 0, dedupSavedBytes: 0, compressionSavedBytes: 0,
                                           blocks: 0, compressedBlocks: 0, files: 0, pins: 0),
            "TokenCreateResponse": TokenCreateResponse(id: "", name: "", scopes: [], token: ""),
            "ShareResponse": ShareResponse(path: "", url: "", expiresAt: 0),
            "RepoVerifyResponse": RepoVerifyResponse(checked: 0, missing: [], corrupt: []),
            "ErrorEnvelope": ErrorEnvelope(code: "", message: ""),
            "HealthResponse": HealthResponse(status: "", service: "", version: ""),
            "ReadyResponse": ReadyResponse(status: "", checks: [:]),
            "PinRequest": PinRequest(cid: "", name: "", replicas: 2),
            "TokenCreateRequest": TokenCreateRequest(name: "", scopes: []),
            "ShareRequest": ShareRequest(cid: "", path: "", expiresInSeconds: 1),
            "DirectoryCreateRequest": DirectoryCreateRequest(entries: [], cidVersion: 1, pin: true),
            "CommitmentRequest": CommitmentRequest(cid: ""),
            "CommitmentResponse": CommitmentResponse(cid: "", status: .done, root: "", chunkCount: 0, byteCount: 0, blockCount: 0, error: ""),
            "ProofRequest": ProofRequest(cid: "", beacon: "", blocks: [], count: 1),
            "ProofRecord": ProofRecord(id: "", cid: "", status: .done, circuit: "", root: "", beacon: "", blocks: [], chunkIndices: [],
                                       bundle: Self.bundle, attempts: 1, lastProver: "", error: "", createdAt: 0, completedAt: 0),
            "ProofBundle": Self.bundle,
            "SnarkjsProof": Self.bundle.proof,
            "SnarkjsVerifyingKey": Self.key,
            "CircuitInfo": CircuitInfo(circuit: "", constraints: 0, publicInputs: 0, openings: 0, development: true),
            "VerifyingKeyResponse": VerifyingKeyResponse(circuit: CircuitInfo(circuit: "", constraints: 0, publicInputs: 0, openings: 0, development: true),
                                                         verifyingKey: Self.key, sha256: ""),
            "VerifyRequest": VerifyRequest(circuit: "", verifyingKey: Self.key, proof: Self.bundle.proof, proofHex: "", publicSignals: []),
            "VerifyResponse": VerifyResponse(valid: true, reason: "", development: true),
            "JobRecord": Self.job,
            "JobListResponse": JobListResponse(jobs: [Self.job]),
            "AnchorRequest": AnchorRequest(cid: ""),
            "AnchorResponse": AnchorResponse(cid: "", contentID: "", leafIndex: 0, submission: Self.submission),
            "SubmissionRecord": Self.submission,
            "ChainCall": ChainCall.remark(hex: ""),
            "SiteRequest": SiteRequest(domain: "", cid: ""),
            "SiteResponse": SiteResponse(domain: "", cid: "", contentID: "", submissions: [Self.submission]),
            "SiteStatus": SiteStatus(domain: "", contentID: "", cid: "", finalizedNumber: 0),
            "QuotaRecord": QuotaRecord(account: "", creditedPlanck: "", quotaBytes: 0, payments: 0),
        ]
        let mismatches = try OpenAPIRoutes.schemaMismatches("docs/openapi.json", samples: samples)
        #expect(mismatches.isEmpty, "schemas that differ from their contract types: \(mismatches)")
    }
}
