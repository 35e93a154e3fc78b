import Foundation
import PakitContracts
import PakitTestSupport
import Testing

/// Three nodes as an operator starts them: `pakit up` per data directory, the second and third
/// given the first's gateway as seed, then `pakit peers` on each.
@Suite("pakit up forms a mesh", .serialized)
struct PakitUpMeshTests {
    @Test("three `pakit up` nodes join through the first; `pakit peers` on each names the other two; `pakit providers` on the first names the node where content was added")
    func threeNodes() async throws {
        let root = NSTemporaryDirectory() + "pakit-up-mesh-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pakit = try BuiltProduct.path("pakit")
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("PAKIT_") { environment[key] = nil }
        var nodes: [(process: Process, data: String)] = []
        defer { for node in nodes { ServiceProcess.killTree(node.process) } }
        var seed: String?
        for name in ["a", "b", "c"] {
            let data = "\(root)/\(name)"
            let arguments = ["up", "--data", data, "--port", "0", "--no-prover"] + (seed.map { ["--seeds", $0] } ?? [])
            let process = try ServiceProcess.launch(pakit, arguments, environment: environment)
            nodes.append((process, data))
            let gateway = try await ServiceProcess.waitForFile("\(data)/mesh-gateway.url", while: process, timeout: .seconds(120))
            if seed == nil { seed = gateway }
        }
        let storageURLs = try await nodes.asyncMap { try await ServiceProcess.waitForFile("\($0.data)/storage.url", while: $0.process) }

        var last = ""
        let deadline = ContinuousClock.now + .seconds(60)
        var converged = false
        while !converged, ContinuousClock.now < deadline {
            converged = true
            for (index, node) in nodes.enumerated() {
                let result = try await runProcess(pakit, ["peers", "--data", node.data, "--json"], environment: environment)
                guard result.status == 0, let answer = try? JSONDecoder().decode(MeshPeersResponse.self, from: result.stdout) else {
                    converged = false
                    last = result.stderr
                    continue
                }
                let others = Set(storageURLs.indices.filter { $0 != index }.map { storageURLs[$0] })
                let alive = Set(answer.peers.filter { $0.status == .alive }.map(\.storageURL))
                if alive != others || answer.node.storageURL != storageURLs[index] {
                    converged = false
                    last = "node \(index): \(answer)"
                }
            }
            if !converged { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(converged, "the three nodes did not converge: \(last)")
        // Content added on b and on c: a names each as its provider (storage announced the pinned root).
        var ids: [String] = []
        for node in nodes {
            let result = try await runProcess(pakit, ["peers", "--data", node.data, "--json"], environment: environment)
            ids.append(try JSONDecoder().decode(MeshPeersResponse.self, from: result.stdout).node.peerID)
        }
        for index in [1, 2] {
            let file = "\(root)/content-\(index).txt"
            try Data("content held by node \(index)\n".utf8).write(to: URL(fileURLWithPath: file))
            let added = try await runProcess(pakit, ["add", "--data", nodes[index].data, file], environment: environment)
            #expect(added.status == 0, "pakit add: \(added.stderr)")
            let cid = try #require(added.output.split(separator: " ").dropFirst().first.map(String.init))
            var named: [String] = []
            let until = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < until {
                let result = try await runProcess(pakit, ["providers", "--data", nodes[0].data, cid, "--json"], environment: environment)
                named = (try? JSONDecoder().decode(ProvidersResponse.self, from: result.stdout))?.providers.map(\.peerID) ?? []
                if named == [ids[index]] { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(named == [ids[index]], "pakit providers on a for \(cid) added on node \(index)")
        }
        // The human form names the same peers.
        let table = try await runProcess(pakit, ["peers", "--data", nodes[0].data], environment: environment).output
        #expect(table.contains("alive") && table.contains(storageURLs[1]) && table.contains(storageURLs[2]))
        for node in nodes {
            await node.process.terminated()
            #expect(node.process.terminationStatus == 0)
        }
    }
}
