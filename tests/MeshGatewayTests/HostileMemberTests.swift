import AsyncHTTPClient
import Foundation
import NIOCore
import PakitContracts
import PakitCore
import PakitTestSupport
import Testing

/// Real gateways with hostile members among them: each adversary is a real member (its own
/// gateway runs, honestly, so the others know it) whose key also drives a
/// `pakit-mesh-adversary` process that forges, replays or spams gossip on the real wire.
@Suite("Hostile mesh members (processes)", .serialized)
struct HostileMemberTests {
    typealias Gateway = MeshProcessTests.Gateway

    @Test("forgers, replayers and spammers are graylisted or silenced by every honest gateway; nothing forged is believed; honest announcements still flow")
    func hostileMembers() async throws {
        let root = NSTemporaryDirectory() + "pakit-hostile-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Every gateway on its own loopback IP, as separate machines: per-IP limits and the
        // colocation score then see what they would in a real network.
        func options(_ host: Int) -> [String] { ["--mesh-host", "127.0.0.\(host)", "--push-pull-interval-ms", "1000"] }
        let a = try await Gateway(directory: "\(root)/a", seeds: [], extra: options(11))
        var gateways = [a]
        defer { for gateway in gateways { ServiceProcess.kill(gateway.process) } }
        for (name, host) in [("b", 12), ("c", 13), ("forger", 14), ("replayer", 15), ("spammer", 16)] {
            gateways.append(try await Gateway(directory: "\(root)/\(name)", seeds: [a.url], extra: options(host)))
        }
        let honest = Array(gateways.prefix(3))
        let ids = try await gateways.asyncMap { try await $0.peers().node.peerID }
        let meshAddresses = try await honest.asyncMap { try await $0.peers().node.meshAddress }
        try await MeshProcessTests.eventually("all six gateways know each other") {
            let counts = try await gateways.asyncMap { try await $0.peers().peers.count { $0.status == .alive } }
            return (counts.allSatisfy { $0 == 5 }, "\(counts)")
        }

        // a announces a CID (its first announcement: what the replayer will replay).
        let storage = try TestTLS.client(presenting: "storage", dataDirectory: a.directory)
        defer { Task { try? await storage.shutdown() } }
        func provide(_ cid: String) async throws {
            var request = HTTPClientRequest(url: a.url + "/internal/v1/provide")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(ProvideRequest(added: [cid], removed: []))))
            let response = try await storage.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok)
        }
        let first = CID.raw(sha256Of: Array("first".utf8)).string
        try await provide(first)
        try await MeshProcessTests.eventually("b and c name a for the first CID") {
            let answers = try await Array(honest.dropFirst()).asyncMap { try await $0.get("/v1/providers/\(first)", as: ProvidersResponse.self) }
            return (answers.allSatisfy { $0.providers.map(\.peerID) == [ids[0]] }, "\(answers)")
        }

        // Three adversaries at once, 20 datagrams a second to each honest gateway for 8 s.
        let adversary = try BuiltProduct.path("pakit-mesh-adversary")
        var attacks: [Process] = []
        for (index, behaviour) in ["forge", "replay", "spam"].enumerated() {
            let member = gateways[3 + index]
            attacks.append(try ServiceProcess.launch(adversary, [
                "--behaviour", behaviour, "--node-key", "\(member.directory)/keys/node-ed25519.key",
                "--targets", meshAddresses.joined(separator: ","), "--victim", ids[0], "--gateway", a.url,
                "--bind", "127.0.0.\(24 + index)", "--rate", "20", "--seconds", "8",
            ]))
        }
        for attack in attacks {
            await attack.exited()
            #expect(attack.terminationStatus == 0)
        }

        let graylist = -10_000.0, gossipThreshold = -4_000.0
        try await MeshProcessTests.eventually("every honest gateway scores the forger and the replayer below the graylist and the spammer below the gossip threshold") {
            let scores = try await honest.asyncMap { gateway in
                Dictionary(uniqueKeysWithValues: try await gateway.peers().peers.map { ($0.peerID, $0.score) })
            }
            let done = scores.allSatisfy { score in
                (score[ids[3]] ?? 0) < graylist && (score[ids[4]] ?? 0) < graylist && (score[ids[5]] ?? 0) < gossipThreshold
            }
            return (done, "\(scores.map { [$0[ids[3]], $0[ids[4]], $0[ids[5]]] })")
        }
        for (position, gateway) in honest.enumerated() {
            let health = try await gateway.get("/v1/mesh/health", as: MeshHealth.self)
            #expect(health.gossip.rejected >= 1 && health.gossip.graylistedPeers >= 2, "\(health.gossip)")
            // The spammer advertises ids in a's name: b and c ask for them and are let down; a
            // knows at once that it never made them (also a behaviour penalty).
            if position > 0 { #expect(health.gossip.brokenPromises >= 1, "\(health.gossip)") }
            // Nothing forged or replayed was stored: a's log still ends at its one announcement.
            let forgedCID = CID.raw(sha256Of: Array("forged 1".utf8)).string
            #expect(try await gateway.get("/v1/providers/\(forgedCID)", as: ProvidersResponse.self).providers.isEmpty)
        }
        let pulled = try await honest[1].client.execute(HTTPClientRequest(url: honest[1].url + "/v1/mesh/announcements/\(ids[0])/2"), timeout: .seconds(10))
        #expect(pulled.status == .notFound, "a replayed or forged sequence of a's was stored")
        // The honest members keep their standing (under a loaded machine one may be suspect for
        // a moment, never dead), and honest announcements still flow.
        for gateway in honest {
            let peers = try await gateway.peers().peers.filter { ids.prefix(3).contains($0.peerID) }
            #expect(peers.allSatisfy { $0.status != .dead && $0.score >= 0 }, "\(peers.map { ($0.status, $0.score) })")
        }
        let second = CID.raw(sha256Of: Array("second".utf8)).string
        try await provide(second)
        try await MeshProcessTests.eventually("b and c name a for the second CID") {
            let answers = try await Array(honest.dropFirst()).asyncMap { try await $0.get("/v1/providers/\(second)", as: ProvidersResponse.self) }
            return (answers.allSatisfy { $0.providers.map(\.peerID) == [ids[0]] }, "\(answers)")
        }
        for gateway in gateways { try await gateway.stop() }
    }
}
