import AsyncHTTPClient
import Crypto
@testable import MeshGatewayService
import PakitCore
import Foundation
import NIOCore
import PakitContracts
import PakitTestSupport
import Testing

/// Real `pakit-mesh-gateway` processes on loopback: UDP between them, state exchanges over
/// HTTPS, each with its own data directory, node key and CA (as three machines would have).
@Suite("Mesh gateway processes", .serialized)
struct MeshProcessTests {
    final class Gateway {
        let directory: String
        var process: Process
        var url: String
        let client: HTTPClient

        let extra: [String]

        init(directory: String, seeds: [String], extra: [String] = []) async throws {
            self.directory = directory
            self.extra = extra
            _ = try await runProcess(try BuiltProduct.path("pakit"), ["init", "--data", directory])
            (process, url) = try await Self.launch(directory: directory, seeds: seeds, extra: extra)
            client = try TestTLS.trustingClient(dataDirectory: directory)
        }

        static func launch(directory: String, seeds: [String], extra: [String] = []) async throws -> (Process, String) {
            try? FileManager.default.removeItem(atPath: "\(directory)/mesh-gateway.url")
            var arguments = ["--data-dir", directory, "--port", "0", "--mesh-port", "0", "--log-level", "warning"] + extra
            if !seeds.isEmpty { arguments += ["--seeds", seeds.joined(separator: ",")] }
            let process = try ServiceProcess.launch(try BuiltProduct.path("pakit-mesh-gateway"), arguments)
            let url = try await ServiceProcess.waitForFile("\(directory)/mesh-gateway.url", while: process, timeout: .seconds(60))
            return (process, url)
        }

        func restart(seeds: [String]) async throws {
            (process, url) = try await Self.launch(directory: directory, seeds: seeds, extra: extra)
        }

        func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
            let response = try await client.execute(HTTPClientRequest(url: url + path), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { throw TestFailure("\(path): \(response.status)") }
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        }

        func peers() async throws -> MeshPeersResponse { try await get("/v1/peers", as: MeshPeersResponse.self) }

        /// This gateway's view: peer ID → status.
        func view() async throws -> [String: MeshPeer.Status] {
            Dictionary(uniqueKeysWithValues: try await peers().peers.map { ($0.peerID, $0.status) })
        }

        func stop() async throws {
            ServiceProcess.kill(process)
            try await client.shutdown()
        }
    }

    /// Polls `condition` (each gateway's answer changes only as the protocol runs) until it
    /// holds or `timeout` passes; the failure names what was last seen.
    static func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> (Bool, String)) async throws {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            let (done, seen) = try await condition()
            if done { return }
            last = seen
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(what) did not happen within \(timeout); last seen: \(last)")
    }

    @Test("three gateways form a mesh through one seed; kill -9 is detected everywhere; a restart refutes its death; SIGTERM leaves")
    func lifecycle() async throws {
        let root = NSTemporaryDirectory() + "pakit-mesh-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try await Gateway(directory: "\(root)/a", seeds: [])
        let b = try await Gateway(directory: "\(root)/b", seeds: [a.url])
        let c = try await Gateway(directory: "\(root)/c", seeds: [a.url])
        let gateways = [a, b, c]
        defer { for gateway in gateways { ServiceProcess.kill(gateway.process) } }
        let ids = try await gateways.asyncMap { try await $0.peers().node.peerID }
        #expect(ids.allSatisfy { $0.hasPrefix("12D3KooW") } && Set(ids).count == 3)

        // The membership's own series on /metrics (any certificate of the node's CA).
        let scraper = try TestTLS.client(presenting: "operator", dataDirectory: a.directory)
        try await Self.eventually("a's /metrics carries the membership series", timeout: .seconds(30)) {
            let response = try await scraper.execute(HTTPClientRequest(url: a.url + "/metrics"), timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            return (response.status == .ok && text.contains("pakit_mesh_members{status=\"alive\"} 2"), String(text.prefix(300)))
        }
        try await scraper.shutdown()
        try await Self.eventually("every gateway sees the other two alive") {
            let views = try await gateways.asyncMap { try await $0.view() }
            let done = views.enumerated().allSatisfy { index, view in
                ids.indices.filter { $0 != index }.allSatisfy { view[ids[$0]] == .alive }
            }
            return (done, "\(views)")
        }

        // /health carries the same counts as /v1/mesh/health.
        let health = try await a.get("/health", as: HealthResponse.self)
        #expect(health.status == "ok" && health.mesh?.alive == 2, "\(health)")

        ServiceProcess.kill(c.process)
        try await Self.eventually("a and b declare the killed c dead") {
            let views = try await [a, b].asyncMap { try await $0.view() }
            return (views.allSatisfy { $0[ids[2]] == .dead && $0[ids[0]] != .dead && $0[ids[1]] != .dead }, "\(views)")
        }

        // The same node (same key) comes back on new ports: it refutes its death with a higher incarnation.
        try await c.restart(seeds: [a.url])
        try await Self.eventually("the restarted c is alive again everywhere, at a higher incarnation") {
            let peers = try await [a, b].asyncMap { try await $0.peers().peers }
            let seen = peers.map { $0.first { $0.peerID == ids[2] } }
            return (seen.allSatisfy { $0?.status == .alive && ($0?.incarnation ?? 0) >= 1 }, "\(seen)")
        }

        Foundation.kill(b.process.processIdentifier, SIGTERM)
        await b.process.exited()
        #expect(b.process.terminationStatus == 0)
        try await Self.eventually("a and c record b as left") {
            let views = try await [a, c].asyncMap { try await $0.view() }
            return (views.allSatisfy { $0[ids[1]] == .left }, "\(views)")
        }
        for gateway in gateways { try await gateway.stop() }
    }

    @Test("a flapping member (killed and restarted four times) is declared dead and alive again each time at a rising incarnation; no other member is ever suspected or killed for it")
    func flappingMember() async throws {
        let root = NSTemporaryDirectory() + "pakit-mesh-flap-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try await Gateway(directory: "\(root)/a", seeds: [])
        let b = try await Gateway(directory: "\(root)/b", seeds: [a.url])
        let c = try await Gateway(directory: "\(root)/c", seeds: [a.url])
        let flapper = try await Gateway(directory: "\(root)/d", seeds: [a.url])
        let gateways = [a, b, c, flapper]
        defer { for gateway in gateways { ServiceProcess.kill(gateway.process) } }
        let ids = try await gateways.asyncMap { try await $0.peers().node.peerID }
        let steady = [a, b, c]
        // Every view the test takes of the steady members: none of them may ever see another
        // steady member other than alive.
        var collateral: [String] = []
        func look() async throws -> [[MeshPeer]] {
            let peers = try await steady.asyncMap { try await $0.peers().peers }
            for (index, view) in peers.enumerated() {
                for peer in view where peer.peerID != ids[3] && peer.status != .alive {
                    collateral.append("\(index) saw \(peer.peerID) \(peer.status)")
                }
            }
            return peers
        }
        try await Self.eventually("every member sees the other three alive") {
            let views = try await gateways.asyncMap { try await $0.view() }
            let done = views.enumerated().allSatisfy { index, view in ids.indices.filter { $0 != index }.allSatisfy { view[ids[$0]] == .alive } }
            return (done, "\(views)")
        }
        var incarnation: UInt64 = 0
        for cycle in 1...4 {
            ServiceProcess.kill(flapper.process)
            try await Self.eventually("cycle \(cycle): the flapper is dead everywhere") {
                let peers = try await look()
                return (peers.allSatisfy { $0.first { $0.peerID == ids[3] }?.status == .dead }, "\(peers.map { $0.map { "\($0.peerID.suffix(6)) \($0.status)" } })")
            }
            try await flapper.restart(seeds: [a.url])
            var seenIncarnation: UInt64 = 0
            try await Self.eventually("cycle \(cycle): the flapper is alive again everywhere at a higher incarnation") {
                let peers = try await look()
                let seen = peers.map { $0.first { $0.peerID == ids[3] } }
                seenIncarnation = seen.compactMap { $0?.incarnation }.min() ?? 0
                return (seen.allSatisfy { $0?.status == .alive && ($0?.incarnation ?? 0) > incarnation }, "\(seen.map { "\($0?.status.rawValue ?? "-") \($0?.incarnation ?? 0)" })")
            }
            incarnation = seenIncarnation
        }
        #expect(collateral.isEmpty, "steady members seen other than alive: \(collateral.prefix(5))")
        // Deaths recorded by each steady member: the flapper's four only.
        for gateway in steady {
            let health = try await gateway.get("/v1/mesh/health", as: MeshHealth.self)
            #expect(health.deathsRecorded == 4, "deaths recorded: \(health.deathsRecorded)")
        }
        for gateway in gateways { try await gateway.stop() }
    }

    @Test("storage's announcements reach every member; a member that joins later gets them by digest exchange; only storage may announce, only members are believed")
    func providers() async throws {
        let root = NSTemporaryDirectory() + "pakit-mesh-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fast = ["--push-pull-interval-ms", "1000"]
        let a = try await Gateway(directory: "\(root)/a", seeds: [], extra: fast)
        let b = try await Gateway(directory: "\(root)/b", seeds: [a.url], extra: fast)
        var gateways = [a, b]
        defer { for gateway in gateways { ServiceProcess.kill(gateway.process) } }
        let aID = try await a.peers().node.peerID
        try await Self.eventually("a and b see each other") {
            let views = try await [a, b].asyncMap { try await $0.peers().peers.count }
            return (views == [1, 1], "\(views)")
        }
        let cid = "bafkreibosmyye46krz2x5j6neaofco25arrahlldnaqgocku6ejggcimwa"
        // Storage's certificate (issued by a's CA, as `pakit init` did) may announce; the operator's may not.
        let storage = try TestTLS.client(presenting: "storage", dataDirectory: a.directory)
        let operatorClient = try TestTLS.client(presenting: "operator", dataDirectory: a.directory)
        defer { Task { try? await storage.shutdown(); try? await operatorClient.shutdown() } }
        let provide = try JSONEncoder().encode(ProvideRequest(added: [cid], removed: []))
        var request = HTTPClientRequest(url: a.url + "/internal/v1/provide")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: provide))
        let refused = try await operatorClient.execute(request, timeout: .seconds(10))
        #expect(refused.status == .forbidden)
        let anonymous = try await a.client.execute(request, timeout: .seconds(10))
        #expect(anonymous.status == .unauthorized || anonymous.status == .forbidden)
        let accepted = try await storage.execute(request, timeout: .seconds(10))
        let acceptedBody = try await accepted.body.collect(upTo: 1 << 16)
        #expect(accepted.status == .ok)
        #expect(try JSONDecoder().decode(ProvideResponse.self, from: Data(acceptedBody.readableBytesView)).announcements == 1)
        // Saying it again (storage re-announces its pins at every start) adds nothing to the log.
        let repeated = try await storage.execute(request, timeout: .seconds(10))
        let repeatedBody = try await repeated.body.collect(upTo: 1 << 16)
        #expect(try JSONDecoder().decode(ProvideResponse.self, from: Data(repeatedBody.readableBytesView)).announcements == 0)

        try await Self.eventually("b names a as the provider") {
            let answer = try await b.get("/v1/providers/\(cid)", as: ProvidersResponse.self)
            return (answer.providers.map(\.peerID) == [aID], "\(answer)")
        }
        // It came through the announcement mesh (a flood-publishes its own), not only by repair.
        #expect(try await b.get("/v1/mesh/health", as: MeshHealth.self).gossip.accepted >= 1)
        // c joins after the announcement was published: the digest exchange brings it.
        let c = try await Gateway(directory: "\(root)/c", seeds: [b.url], extra: fast)
        gateways.append(c)
        try await Self.eventually("c, which joined later, names a too") {
            let answer = try await c.get("/v1/providers/\(cid)", as: ProvidersResponse.self)
            return (answer.providers.map(\.peerID) == [aID], "\(answer)")
        }
        // The IPFS delegated-routing form from the same index.
        let routing = try await c.get("/routing/v1/providers/\(cid)", as: RoutingProvidersResponse.self)
        #expect(routing.providers.map(\.id) == [aID] && routing.providers.first?.protocols == ["transport-ipfs-gateway-http"])
        let unknown = try await c.client.execute(HTTPClientRequest(url: c.url + "/routing/v1/providers/bafkreiddrh2xnrfm5ph7am2sbp52s2xeat4tafbhlogxadeblta5g26xoe"), timeout: .seconds(10))
        #expect(unknown.status == .notFound)

        // An outsider's correctly signed announcement, gossiped in a correctly signed packet,
        // is dropped unread: the outsider is not a member.
        let outsider = Curve25519.Signing.PrivateKey()
        let outsiderID = try PeerID(ed25519PublicKey: outsider.publicKey.rawRepresentation)
        let lieCID = "bafkreiddrh2xnrfm5ph7am2sbp52s2xeat4tafbhlogxadeblta5g26xoe"
        let lie = try ProviderAnnouncement(origin: outsider, sequence: 1, issuedAt: 0, added: [try CID(lieCID)], removed: [])
        let packet = try MeshPacket(sender: outsiderID, body: .pubsub(GossipRPC(messages: [lie]))).encoded(signedWith: outsider)
        let cMesh = try await c.peers().node.meshAddress
        guard let colon = cMesh.lastIndex(of: ":"), let cPort = UInt16(cMesh[cMesh.index(after: colon)...]) else { throw TestFailure("mesh address \(cMesh)") }
        try sendUDP(packet, to: "127.0.0.1", port: cPort)
        try await Self.eventually("c drops the outsider's gossip") {
            let health = try await c.get("/v1/mesh/health", as: MeshHealth.self)
            return (health.gossip.ignored >= 1, "\(health.gossip)")
        }
        #expect(try await c.get("/v1/providers/\(lieCID)", as: ProvidersResponse.self).providers.isEmpty)
        // Pulling a stored announcement: a's first, by id; unknown ones are 404, nonsense 400.
        let pulled = try await b.client.execute(HTTPClientRequest(url: b.url + "/v1/mesh/announcements/\(aID)/1"), timeout: .seconds(10))
        let pulledBody = try await pulled.body.collect(upTo: 1 << 17)
        #expect(pulled.status == .ok)
        let pulledAnnouncement = try ProviderAnnouncement.decode(Array(pulledBody.readableBytesView))
        let expectedCID = try CID(cid).v1.string
        #expect(pulledAnnouncement.isAuthentic && pulledAnnouncement.added.map(\.v1.string) == [expectedCID])
        let missing = try await b.client.execute(HTTPClientRequest(url: b.url + "/v1/mesh/announcements/\(aID)/99"), timeout: .seconds(10))
        #expect(missing.status == .notFound)
        let nonsense = try await b.client.execute(HTTPClientRequest(url: b.url + "/v1/mesh/announcements/xyz/0"), timeout: .seconds(10))
        #expect(nonsense.status == .badRequest)
        for gateway in gateways { try await gateway.stop() }
    }

    @Test("garbage, forged and oversized input is refused and counted, a flooding source graylisted; the gateway keeps serving and its membership is unchanged")
    func hostileInput() async throws {
        let root = NSTemporaryDirectory() + "pakit-mesh-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try await Gateway(directory: "\(root)/a", seeds: [])
        defer { ServiceProcess.kill(a.process) }
        let mesh = try await a.peers().node.meshAddress
        guard let colon = mesh.lastIndex(of: ":"), let port = UInt16(mesh[mesh.index(after: colon)...]) else { throw TestFailure("mesh address \(mesh)") }
        // Garbage, a truncated header, and a well-formed packet whose signature is wrong.
        var forged: [UInt8] = [0x50, 0x4B, 0x4D, 0x01, 5] + [UInt8](repeating: 7, count: 32) + [0, 0]
        forged += [UInt8](repeating: 1, count: 64)
        for datagram in [[UInt8](repeating: 0xAB, count: 300), [0x50, 0x4B, 0x4D, 0x01, 1], forged] {
            try sendUDP(datagram, to: "127.0.0.1", port: port)
        }
        try await Self.eventually("the three datagrams are counted as rejected", timeout: .seconds(20)) {
            let health = try await a.get("/v1/mesh/health", as: MeshHealth.self)
            return (health.rejectedPackets >= 3, "\(health)")
        }
        #expect(try await a.get("/v1/mesh/health", as: MeshHealth.self).graylistedSources == 0)
        // A source that keeps sending invalid packets (20 within 10 s) is graylisted: its
        // datagrams are then dropped unread.
        for _ in 0..<25 { try sendUDP([UInt8](repeating: 0xCD, count: 120), to: "127.0.0.1", port: port) }
        try await Self.eventually("the flooding source is graylisted", timeout: .seconds(20)) {
            let health = try await a.get("/v1/mesh/health", as: MeshHealth.self)
            return (health.graylistedSources == 1 && health.rejectedPackets >= 28, "\(health)")
        }
        // The HTTPS state exchange refuses what is not a signed state packet, with the envelope.
        var request = HTTPClientRequest(url: a.url + "/v1/mesh/state")
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: forged))
        let response = try await a.client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 16)
        #expect(response.status == .badRequest)
        let envelope = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(body.readableBytesView))
        #expect(envelope.error.code == "invalid_packet")
        let peers = try await a.peers()
        #expect(peers.peers.isEmpty)
        try await a.stop()
    }
}

private func sendUDP(_ bytes: [UInt8], to host: String, port: UInt16) throws {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    guard socket >= 0 else { throw TestFailure("socket: errno \(errno)") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    inet_pton(AF_INET, host, &address.sin_addr)
    let sent = bytes.withUnsafeBytes { buffer in
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(socket, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    guard sent == bytes.count else { throw TestFailure("sendto: errno \(errno)") }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
