import Foundation
import Logging
@testable import MeshGatewayService
import PakitContracts
import PakitService
import PakitTestSupport
import Testing

/// docs/mesh-gateway-openapi.json stays true: the same routes as the gateway's router, both
/// ways, and its schemas have exactly the fields the contract types encode.
@Suite("Mesh gateway OpenAPI document")
struct MeshOpenAPIDocumentTests {
    @Test("the document and the router agree both ways")
    func documentMatchesRouter() async throws {
        let directory = NSTemporaryDirectory() + "pakit-mesh-doc-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try ServiceHost<MeshGatewayNode>.configuration(
            arguments: ["--data-dir", directory, "--port", "0", "--mesh-port", "0"], environment: [:])
        let node = try await MeshGatewayNode.open(configuration, logger: Logger(label: "test"))
        let served = OpenAPIRoutes.served(ServiceHost<MeshGatewayNode>.makeRouter(for: node))
        await node.close()
        let documented = try OpenAPIRoutes.documented("docs/mesh-gateway-openapi.json")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        #expect(served.count >= 6)
    }

    @Test("documented schemas match the contract types field for field")
    func schemasMatchContracts() throws {
        let peer = MeshPeer(peerID: "", status: .alive, incarnation: 0, meshAddress: "", gatewayURL: "", storageURL: "",
                            gatewayCertificateSHA256: "", storageCertificateSHA256: "", recordIssuedAt: 0, secondsInStatus: 0)
        let gossip = MeshGossipHealth(meshDegree: 0, peers: 0, graylistedPeers: 0, accepted: 0, rejected: 0, duplicates: 0, ignored: 0,
                                      brokenPromises: 0, payloadSends: 0, ihaveSends: 0, queue: 0)
        let samples: [String: any Encodable] = [
            "MeshPeer": peer,
            "MeshPeersResponse": MeshPeersResponse(node: peer, peers: []),
            "MeshHealth": MeshHealth(alive: 0, suspect: 0, dead: 0, left: 0, healthMultiplier: 0, incarnation: 0, broadcastQueue: 0,
                                     rejectedPackets: 0, invalidUpdates: 0, refutations: 0, graylistedSources: 0, deathsRecorded: 0, sendFailures: 0,
                                     gossip: gossip),
            "MeshGossipHealth": gossip,
            "HealthResponse": HealthResponse(status: "", service: "", version: "", mesh: MeshHealth(alive: 0, suspect: 0, dead: 0, left: 0,
                healthMultiplier: 0, incarnation: 0, broadcastQueue: 0, rejectedPackets: 0, invalidUpdates: 0, refutations: 0,
                graylistedSources: 0, deathsRecorded: 0, sendFailures: 0, gossip: gossip)),
            "ProvideRequest": ProvideRequest(added: [], removed: []),
            "ProvideResponse": ProvideResponse(announcements: 0, lastSequence: 0),
            "ProvidersResponse": ProvidersResponse(cid: "", providers: []),
            "ProviderDigest": ProviderDigest(have: [:]),
            "RoutingProvidersResponse": RoutingProvidersResponse(providers: []),
            "RoutingPeerRecord": RoutingPeerRecord(id: "", addrs: [], protocols: []),
            "ErrorEnvelope": ErrorEnvelope(code: "", message: ""),
        ]
        let mismatches = try OpenAPIRoutes.schemaMismatches("docs/mesh-gateway-openapi.json", samples: samples)
        #expect(mismatches.isEmpty, "schemas that differ from their contract types: \(mismatches)")
    }
}
