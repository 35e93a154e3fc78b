import AsyncHTTPClient
import Foundation
import NIOCore
import PakitContracts
import PakitCore
import PakitTLS
import PakitTestSupport
import Testing

/// Gateways in their own network namespaces, joined by a bridge, with real packet loss and
/// partitions from nftables rules (`../shared/reference/mesh.md` §7.1). Needs root, `ip` and
/// `nft`: `tests/run-all.sh` installs nftables and sets `PAKIT_TEST_NETNS=1` when it runs as
/// root (as CI does). All traffic stays on a private /24 of 10.201/16 inside the namespaces.
@Suite("Mesh gateways in network namespaces (nftables loss and partitions)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["PAKIT_TEST_NETNS"] == "1", "needs root and nftables: set PAKIT_TEST_NETNS=1 (tests/run-all.sh does)"))
struct NetworkNamespaceTests {
    /// A bridge in this namespace and one namespace per node, each with a veth on the bridge.
    final class Network {
        let tag: String
        let subnet: Int
        let count: Int

        init(nodes count: Int) throws {
            tag = String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(4))
            subnet = Int.random(in: 1...250)
            self.count = count
            try Self.run(["ip", "link", "add", bridge, "type", "bridge"])
            try Self.run(["ip", "addr", "add", "10.201.\(subnet).254/24", "dev", bridge])
            try Self.run(["ip", "link", "set", bridge, "up"])
            for node in 1...count {
                try Self.run(["ip", "netns", "add", namespace(node)])
                try Self.run(["ip", "link", "add", "pk\(tag)v\(node)", "type", "veth", "peer", "name", "pk\(tag)p\(node)"])
                try Self.run(["ip", "link", "set", "pk\(tag)v\(node)", "netns", namespace(node)])
                try Self.run(["ip", "link", "set", "pk\(tag)p\(node)", "master", bridge])
                try Self.run(["ip", "link", "set", "pk\(tag)p\(node)", "up"])
                try inside(node, ["ip", "link", "set", "lo", "up"])
                try inside(node, ["ip", "addr", "add", "\(address(node))/24", "dev", "pk\(tag)v\(node)"])
                try inside(node, ["ip", "link", "set", "pk\(tag)v\(node)", "up"])
                try inside(node, ["nft", "add", "table", "inet", "chaos"])
                try inside(node, ["nft", "add", "chain", "inet", "chaos", "out", "{ type filter hook output priority 0; policy accept; }"])
            }
        }

        var bridge: String { "pk\(tag)br" }
        func namespace(_ node: Int) -> String { "pk\(tag)n\(node)" }
        func address(_ node: Int) -> String { "10.201.\(subnet).\(node)" }

        func inside(_ node: Int, _ command: [String]) throws { try Self.run(["ip", "netns", "exec", namespace(node)] + command) }

        /// Drops `percent`% of the UDP each node sends (0: none).
        func setLoss(_ percent: Int) throws {
            for node in 1...count {
                try inside(node, ["nft", "flush", "chain", "inet", "chaos", "out"])
                if percent > 0 {
                    try inside(node, ["nft", "add", "rule", "inet", "chaos", "out", "meta", "l4proto", "udp", "numgen", "random", "mod", "100", "<", "\(percent)", "drop"])
                }
            }
        }

        /// Cuts every packet between the two groups (both ways); `[]` heals.
        func partition(_ side: [Int]) throws {
            for node in 1...count {
                try inside(node, ["nft", "flush", "chain", "inet", "chaos", "out"])
                guard !side.isEmpty else { continue }
                let others = (1...count).filter { side.contains(node) != side.contains($0) }
                for other in others { try inside(node, ["nft", "add", "rule", "inet", "chaos", "out", "ip", "daddr", address(other), "drop"]) }
            }
        }

        func tearDown() {
            for node in 1...count { _ = try? Self.run(["ip", "netns", "del", namespace(node)]) }
            _ = try? Self.run(["ip", "link", "del", bridge])
        }

        static func run(_ command: [String]) throws {
            let result = try runProcessBlocking("/usr/bin/env", command)
            guard result.status == 0 else { throw TestFailure("\(command.joined(separator: " ")): \(result.stderr)") }
        }
    }

    final class Node {
        let directory: String
        let process: Process
        let url: String
        let client: HTTPClient

        init(network: Network, index: Int, root: String, seed: String?) async throws {
            directory = "\(root)/node-\(index)"
            _ = try await runProcess(try BuiltProduct.path("pakit"), ["init", "--data", directory])
            // The gateway's certificate names its namespace address.
            try NodeCertificates.issue(in: "\(directory)/tls", identities: ["mesh-gateway"], hostnames: [network.address(index)])
            let address = network.address(index)
            var arguments = ["netns", "exec", network.namespace(index), try BuiltProduct.path("pakit-mesh-gateway"),
                             "--data-dir", directory, "--host", address, "--port", "7071", "--mesh-host", address, "--mesh-port", "7946",
                             "--push-pull-interval-ms", "2000", "--log-level", "warning"]
            if let seed { arguments += ["--seeds", seed] }
            process = try ServiceProcess.launch("/usr/sbin/ip", arguments)
            url = try await ServiceProcess.waitForFile("\(directory)/mesh-gateway.url", while: process, timeout: .seconds(60))
            client = try TestTLS.trustingClient(dataDirectory: directory)
        }

        func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
            let response = try await client.execute(HTTPClientRequest(url: url + path), timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else { throw TestFailure("\(path): \(response.status)") }
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        }

        func statuses() async throws -> [String: MeshPeer.Status] {
            Dictionary(uniqueKeysWithValues: try await get("/v1/peers", as: MeshPeersResponse.self).peers.map { ($0.peerID, $0.status) })
        }

        func provide(_ cid: String) async throws {
            let storage = try TestTLS.client(presenting: "storage", dataDirectory: directory)
            defer { Task { try? await storage.shutdown() } }
            var request = HTTPClientRequest(url: url + "/internal/v1/provide")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(ProvideRequest(added: [cid], removed: []))))
            let response = try await storage.execute(request, timeout: .seconds(10))
            guard response.status == .ok else { throw TestFailure("provide: \(response.status)") }
        }
    }

    @Test("five gateways in namespaces: they join, an announcement crosses 10% packet loss with no false death, a partition is detected on both sides and heals, and what was announced during it arrives")
    func lossAndPartition() async throws {
        let network = try Network(nodes: 5)
        defer { network.tearDown() }
        let root = NSTemporaryDirectory() + "pakit-netns-\(network.tag)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        var nodes: [Node] = []
        defer { for node in nodes { ServiceProcess.kill(node.process) } }
        nodes.append(try await Node(network: network, index: 1, root: root, seed: nil))
        for index in 2...5 { nodes.append(try await Node(network: network, index: index, root: root, seed: nodes[0].url)) }
        let ids = try await nodes.asyncMap { try await $0.get("/v1/peers", as: MeshPeersResponse.self).node.peerID }
        try await MeshProcessTests.eventually("every gateway sees the other four alive") {
            let views = try await nodes.asyncMap { try await $0.statuses() }
            return (views.allSatisfy { $0.values.count { $0 == .alive } == 4 }, "\(views.map { $0.values.count { $0 == .alive } })")
        }

        // 10% of every node's UDP dropped: gossip and its repair still deliver; nobody dies.
        try network.setLoss(10)
        let lossy = CID.raw(sha256Of: Array("across loss".utf8)).string
        try await nodes[0].provide(lossy)
        try await MeshProcessTests.eventually("all four others name node 1 across the loss") {
            let answers = try await Array(nodes.dropFirst()).asyncMap { try await $0.get("/v1/providers/\(lossy)", as: ProvidersResponse.self) }
            let gossip = try await nodes.asyncMap { try await $0.get("/v1/mesh/health", as: MeshHealth.self).gossip }
            return (answers.allSatisfy { $0.providers.map(\.peerID) == [ids[0]] }, "\(answers.map(\.providers.count)) \(gossip)")
        }
        let lossEnd = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < lossEnd {
            let views = try await nodes.asyncMap { try await $0.statuses() }
            #expect(views.allSatisfy { !$0.values.contains(.dead) }, "a member was declared dead under 10% loss: \(views)")
            try await Task.sleep(for: .seconds(1))
        }
        try network.setLoss(0)
        let deaths = try await nodes.asyncMap { try await $0.get("/v1/mesh/health", as: MeshHealth.self).deathsRecorded }
        #expect(deaths.allSatisfy { $0 == 0 }, "\(deaths)")

        // Partition {1, 2} | {3, 4, 5}: each side declares the other dead.
        try network.partition([1, 2])
        try await MeshProcessTests.eventually("each side declares the other dead") {
            let views = try await nodes.asyncMap { try await $0.statuses() }
            let done = views.enumerated().allSatisfy { index, view in
                let mySide = index < 2 ? [0, 1] : [2, 3, 4]
                return ids.indices.filter { $0 != index }.allSatisfy { other in
                    mySide.contains(other) ? view[ids[other]] == .alive : view[ids[other]] == .dead
                }
            }
            return (done, "\(views)")
        }
        // The drops are the kernel refusing sends (EPERM): counted, and the socket lives on.
        let refused = try await nodes[0].get("/v1/mesh/health", as: MeshHealth.self).sendFailures
        #expect(refused > 0)
        let during = CID.raw(sha256Of: Array("during the partition".utf8)).string
        try await nodes[2].provide(during)

        // Healed: dead members are probed again, everyone is alive again, and node 1 learns
        // what node 3 announced while cut off.
        try network.partition([])
        try await MeshProcessTests.eventually("the mesh is whole again", timeout: .seconds(90)) {
            let views = try await nodes.asyncMap { try await $0.statuses() }
            return (views.allSatisfy { $0.values.count { $0 == .alive } == 4 }, "\(views)")
        }
        try await MeshProcessTests.eventually("node 1 names node 3 for what it announced during the partition") {
            let answer = try await nodes[0].get("/v1/providers/\(during)", as: ProvidersResponse.self)
            return (answer.providers.map(\.peerID) == [ids[2]], "\(answer)")
        }
        for node in nodes { try await node.client.shutdown() }
    }
}
