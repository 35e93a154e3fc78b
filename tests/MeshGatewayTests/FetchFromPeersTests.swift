import AsyncHTTPClient
import Foundation
import PakitContracts
import PakitTestSupport
import Testing

/// Storage reading through the mesh, as real processes: three `pakit up` nodes, content added
/// on one and read on another (fetched from the holder over HTTP/2 with its certificate pinned
/// from its signed record, every block verified), and a dishonest node started with the
/// test-only flag that serves blocks (raw and in CARs) with one byte changed.
@Suite("Fetch from peers: three pakit up nodes", .serialized)
struct FetchFromPeersTests {
    /// Deterministic bytes of a given length (a linear congruential sequence).
    static func content(_ count: Int, seed: UInt64) -> Data {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        for index in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        return Data(bytes)
    }

    @Test("a file added on the private c is read on a byte for byte (and kept there); a node serving corrupted blocks is detected, penalised in a's mesh and bypassed once an honest node holds the content; a node announcing what it no longer holds is penalised")
    func fetchAndBypass() async throws {
        let root = NSTemporaryDirectory() + "pakit-fetch-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pakit = try BuiltProduct.path("pakit")
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("PAKIT_") { environment[key] = nil }
        var dishonest = environment
        dishonest["PAKIT_TEST_CORRUPT_SERVED_BLOCKS"] = "true"
        // c is private: it serves content only with a token, or to other nodes of the mesh.
        var privateNode = environment
        privateNode["PAKIT_PRIVATE"] = "true"

        let cluster = try await TestCluster.start(pakit: pakit, root: root, environments: [environment, dishonest, privateNode])
        defer { cluster.abandon() }
        let (a, b, c) = (cluster.nodes[0], cluster.nodes[1], cluster.nodes[2])
        let ids = try await cluster.waitForMesh()

        // 1. Three blocks' worth and more (256 KiB chunks): added on the private c, read on a
        //    (a's storage certificate is pinned from its record, so c serves it).
        let large = Self.content(3 * 1_048_576 + 12_345, seed: 1)
        let largeCID = try await cluster.add(large, on: c, name: "large.bin")
        try await cluster.waitForProviders(of: largeCID, on: a, toBe: [ids[2]])
        let read = try await runProcess(pakit, ["cat", "--data", a.data, largeCID], environment: environment)
        #expect(read.status == 0, "pakit cat on a: \(read.stderr)")
        let same = read.stdout == large  // a Bool: swift-testing would diff 3 MB byte by byte
        #expect(same, "a read \(read.stdout.count) bytes; c holds \(large.count): \(read.stderr.prefix(300))")
        // Kept on a: the root block is now stored there.
        let stat = try await runProcess(pakit, ["stat", "--data", a.data, largeCID], environment: environment)
        #expect(stat.status == 0 && stat.output.contains("cid: \(largeCID)"), "pakit stat on a after the read: \(stat.stderr)")
        // A CAR of it exported on a (every block now local) holds at least the file's bytes.
        let car = try await runProcess(pakit, ["car", "export", "--data", a.data, largeCID], environment: environment)
        #expect(car.status == 0 && car.stdout.count > large.count, "pakit car export on a: \(car.stderr)")
        // Anyone else gets 401 from c.
        let anonymous = try TestTLS.trustingClient(dataDirectory: c.data)
        let refusedRead = try await anonymous.execute(HTTPClientRequest(url: c.storageURL + "/ipfs/\(largeCID)?format=raw"), timeout: .seconds(10))
        #expect(refusedRead.status == .unauthorized, "the private node answered \(refusedRead.status) to an anonymous read")
        try await anonymous.shutdown()

        // 2. Content only the dishonest b holds: a refuses every wrong block and answers
        //    with an error, never with the bytes.
        let small = Self.content(600_000, seed: 2)
        let smallCID = try await cluster.add(small, on: b, name: "small.bin")
        try await cluster.waitForProviders(of: smallCID, on: a, toBe: [ids[1]])
        // A pin asks for the whole DAG as one CAR: b's is refused at its first corrupted
        // block, the block-by-block fallback meets the same, and nothing is pinned.
        let pinRefused = try await runProcess(pakit, ["pin", "add", "--data", a.data, smallCID], environment: environment)
        #expect(pinRefused.status != 0, "a pinned content whose only provider corrupts it")
        let pins = try await runProcess(pakit, ["pin", "ls", "--data", a.data], environment: environment)
        #expect(pins.status == 0 && !pins.output.contains(smallCID), "\(pins.output)")
        let afterPin = try await cluster.metrics(on: 0)
        #expect(afterPin["pakit_storage_remote_dag_fetches_total{outcome=\"refused\"}"] == 1, "\(afterPin)")
        #expect(afterPin["pakit_storage_remote_dag_fetches_total{outcome=\"complete\"}"] == 0, "\(afterPin)")
        let refused = try await runProcess(pakit, ["cat", "--data", a.data, smallCID], environment: environment)
        #expect(refused.status != 0, "a served content whose only provider corrupts it")
        #expect(refused.stdout.isEmpty, "a wrote \(refused.stdout.count) bytes of unverified content")
        #expect(refused.stderr.contains("not_found") || refused.stderr.contains("served it"), "\(refused.stderr)")
        // a's gateway takes the report (sent beside the fetch, not before it): b's score
        // turns negative there.
        _ = try await cluster.waitFor("b's score on a below zero after serving corrupted blocks", timeout: .seconds(30)) { () -> (Bool?, String) in
            let score = try await Self.score(of: ids[1], on: a, cluster)
            return (score < 0 ? true : nil, "score \(score)")
        }

        // 3. An honest node adds the same content: a now reads it right, from c.
        #expect(try await cluster.add(small, on: c, name: "small-again.bin") == smallCID)
        try await cluster.waitForProviders(of: smallCID, on: a, toBe: [ids[1], ids[2]])
        var last = ""
        var correct = false
        let deadline = ContinuousClock.now + .seconds(60)
        while !correct, ContinuousClock.now < deadline {
            // a keeps a provider list for 5 s; poll until it asks again and finds c.
            let again = try await runProcess(pakit, ["cat", "--data", a.data, smallCID], environment: environment)
            let same = again.stdout == small
            #expect(again.status != 0 || same, "a returned wrong bytes")
            correct = again.status == 0 && same
            last = again.stderr
            if !correct { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(correct, "a never read the content from c: \(last)")

        // 4. c announces content it no longer holds (its root block removed behind its back):
        //    c answers "not held", a reports it, and c's score drops on a.
        let lost = Self.content(200_000, seed: 3)
        let lostCID = try await cluster.add(lost, on: c, name: "lost.bin")
        try await cluster.waitForProviders(of: lostCID, on: a, toBe: [ids[2]])
        let scoreBefore = try await Self.score(of: ids[2], on: a, cluster)
        let blockFiles = FileManager.default.enumerator(atPath: "\(c.data)/storage/blocks")?.compactMap { $0 as? String } ?? []
        let rootFile = try #require(blockFiles.first { $0.hasSuffix("/\(lostCID)") }, "c's block file of \(lostCID)")
        try FileManager.default.removeItem(atPath: "\(c.data)/storage/blocks/\(rootFile)")
        let missing = try await runProcess(pakit, ["cat", "--data", a.data, lostCID], environment: environment)
        #expect(missing.status != 0 && missing.stdout.isEmpty, "a read content its only provider no longer holds")
        _ = try await cluster.waitFor("c's score on a to drop after announcing what it does not hold", timeout: .seconds(30)) { () -> (Bool?, String) in
            let score = try await Self.score(of: ids[2], on: a, cluster)
            // The penalty (−500) dwarfs what time in the mesh adds meanwhile.
            return (score < scoreBefore - 100 ? true : nil, "\(scoreBefore) before, \(score) now")
        }
        await cluster.stop()
    }

    static func score(of peer: String, on node: TestCluster.Node, _ cluster: TestCluster) async throws -> Double {
        let peers = try await runProcess(cluster.pakit, ["peers", "--data", node.data, "--json"], environment: cluster.environment)
        return try JSONDecoder().decode(MeshPeersResponse.self, from: peers.stdout).peers.first { $0.peerID == peer }?.score ?? 0
    }
}

/// Nodes started with `pakit up`, one data directory each, the later ones seeded with the
/// first's gateway.
final class TestCluster: @unchecked Sendable {
    struct Node {
        var process: Process
        let data: String
        let storageURL: String
        let arguments: [String]
        let environment: [String: String]
    }

    let pakit: String
    let root: String
    let environment: [String: String]
    private(set) var nodes: [Node]

    init(pakit: String, root: String, environment: [String: String], nodes: [Node]) {
        self.pakit = pakit
        self.root = root
        self.environment = environment
        self.nodes = nodes
    }

    static func start(pakit: String, root: String, environments: [[String: String]]) async throws -> TestCluster {
        var started: [(Process, String, [String], [String: String])] = []
        var seed: String?
        do {
            for (index, environment) in environments.enumerated() {
                let data = "\(root)/node-\(index)"
                let arguments = ["up", "--data", data, "--port", "0", "--no-prover"] + (seed.map { ["--seeds", $0] } ?? [])
                let process = try ServiceProcess.launch(pakit, arguments, environment: environment)
                started.append((process, data, arguments, environment))
                let gateway = try await ServiceProcess.waitForFile("\(data)/mesh-gateway.url", while: process, timeout: .seconds(120))
                if seed == nil { seed = gateway }
            }
            var nodes: [Node] = []
            for (process, data, arguments, environment) in started {
                nodes.append(Node(process: process, data: data,
                                  storageURL: try await ServiceProcess.waitForFile("\(data)/storage.url", while: process),
                                  arguments: arguments, environment: environment))
            }
            return TestCluster(pakit: pakit, root: root, environment: environments[0], nodes: nodes)
        } catch {
            for (process, _, _, _) in started { ServiceProcess.killTree(process) }
            throw error
        }
    }

    /// SIGTERM to every node, then waits for each to stop.
    func stop() async {
        for node in nodes where node.process.isRunning { node.process.terminate() }
        for node in nodes { await node.process.exited() }
    }

    /// What a `defer` can do: SIGKILL whatever still runs (after a failure; `stop` ends a
    /// passing test).
    func abandon() {
        for node in nodes { ServiceProcess.killTree(node.process) }
    }

    /// SIGKILL of a whole node: its services first, then `pakit up`, so nothing shuts down
    /// gracefully.
    func kill(_ index: Int) {
        ServiceProcess.killTree(nodes[index].process)
    }

    /// Signals one service of a node (`storage`, `mesh-gateway`): SIGSTOP/SIGCONT.
    func signal(_ index: Int, service: String, _ signal: Int32) {
        for child in ServiceProcess.children(of: nodes[index].process.processIdentifier)
        where ServiceProcess.commandLine(of: child).contains("pakit-\(service)") {
            Foundation.kill(child, signal)
        }
    }

    /// Starts a killed node again on its data directory, with the same arguments. Ports are
    /// new (`--port 0`), so a node that had no seed (the first) is given another node's gateway.
    func restart(_ index: Int) async throws {
        let node = nodes[index]
        try? FileManager.default.removeItem(atPath: "\(node.data)/storage.url")
        var arguments = node.arguments
        if !arguments.contains("--seeds"), let other = nodes.indices.first(where: { $0 != index }),
           let seed = try? String(contentsOfFile: "\(nodes[other].data)/mesh-gateway.url", encoding: .utf8) {
            arguments += ["--seeds", seed.trimmingCharacters(in: .whitespacesAndNewlines)]
        }
        let process = try ServiceProcess.launch(pakit, arguments, environment: node.environment)
        nodes[index].process = process
        _ = try await ServiceProcess.waitForFile("\(node.data)/storage.url", while: process, timeout: .seconds(120))
    }

    /// Polls `body` until it returns a value (bounded by `timeout`); fails with `what` and the
    /// last note.
    func waitFor<T>(_ what: String, timeout: Duration = .seconds(90), _ body: () async throws -> (T?, String)) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        var note = ""
        while ContinuousClock.now < deadline {
            let (value, last) = try await body()
            if let value { return value }
            note = last
            try await Task.sleep(for: .milliseconds(250))
        }
        throw TestFailure("\(what) did not happen within \(timeout): \(note)")
    }

    /// `pakit pin show --json` on a node (nil when it fails).
    func pinStatus(_ cid: String, on index: Int) async throws -> (PinStatus?, String) {
        let result = try await runProcess(pakit, ["pin", "show", "--data", nodes[index].data, cid, "--json"], environment: environment)
        return (try? JSONDecoder().decode(PinStatus.self, from: result.stdout), result.stderr + result.output)
    }

    /// `pakit cat` on a node gives exactly `expected` (compared as a whole: a failure names
    /// the lengths and the CLI's error, never a byte-by-byte diff).
    func expectRead(_ cid: String, on index: Int, equals expected: Data, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await cat(cid, on: index)
        let same = result.status == 0 && result.stdout == expected
        #expect(same, "pakit cat on node \(index): status \(result.status), \(result.stdout.count) of \(expected.count) bytes; \(result.stderr.prefix(300))",
                sourceLocation: sourceLocation)
    }

    /// `pakit cat` on a node.
    func cat(_ cid: String, on index: Int) async throws -> ProcessResult {
        try await runProcess(pakit, ["cat", "--data", nodes[index].data, cid], environment: environment)
    }

    /// A node's storage `/metrics`, scraped with a client certificate from the node's CA.
    func metrics(on index: Int) async throws -> MetricsText {
        let client = try TestTLS.client(presenting: "operator", dataDirectory: nodes[index].data)
        let response: HTTPClientResponse
        let text: String
        do {
            response = try await client.execute(HTTPClientRequest(url: nodes[index].storageURL + "/metrics"), timeout: .seconds(10))
            text = String(buffer: try await response.body.collect(upTo: 4 << 20))
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        guard response.status == .ok else { throw TestFailure("/metrics on node \(index) answered \(response.status)") }
        return MetricsText(text: text)
    }

    /// Waits until every node sees every other alive; returns the nodes' peer IDs.
    func waitForMesh() async throws -> [String] {
        var last = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            var ids: [String] = []
            var converged = true
            for (index, node) in nodes.enumerated() {
                let result = try await runProcess(pakit, ["peers", "--data", node.data, "--json"], environment: environment)
                guard result.status == 0, let answer = try? JSONDecoder().decode(MeshPeersResponse.self, from: result.stdout) else {
                    converged = false
                    last = result.stderr
                    break
                }
                let others = Set(nodes.indices.filter { $0 != index }.map { nodes[$0].storageURL })
                if Set(answer.peers.filter { $0.status == .alive }.map(\.storageURL)) != others {
                    converged = false
                    last = "node \(index): \(answer.peers.map { "\($0.storageURL) \($0.status)" })"
                    break
                }
                ids.append(answer.node.peerID)
            }
            if converged { return ids }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("the nodes did not converge: \(last)")
    }

    /// Adds `bytes` on `node` (pinned, so announced) and returns the CID.
    func add(_ bytes: Data, on node: Node, name: String) async throws -> String {
        let file = "\(root)/\(name)"
        try bytes.write(to: URL(fileURLWithPath: file))
        let added = try await runProcess(pakit, ["add", "--data", node.data, file], environment: environment)
        guard added.status == 0, let cid = added.output.split(separator: " ").dropFirst().first.map(String.init) else {
            throw TestFailure("pakit add on \(node.data): \(added.stderr)")
        }
        return cid
    }

    /// Waits until `node`'s gateway names exactly `expected` (peer IDs) as providers of `cid`.
    func waitForProviders(of cid: String, on node: Node, toBe expected: Set<String>) async throws {
        var named: Set<String> = []
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let result = try await runProcess(pakit, ["providers", "--data", node.data, cid, "--json"], environment: environment)
            named = Set((try? JSONDecoder().decode(ProvidersResponse.self, from: result.stdout))?.providers.map(\.peerID) ?? [])
            if named == expected { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("\(node.data) names \(named) as providers of \(cid), not \(expected)")
    }
}

/// Prometheus text: one series' value by its full name (labels included), 0 when absent.
struct MetricsText: CustomStringConvertible {
    let text: String

    subscript(_ series: String) -> Double {
        let line = text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// The remote-fetch series only, for failure messages.
    var description: String {
        text.split(separator: "\n").filter { $0.hasPrefix("pakit_storage_remote") }.joined(separator: "; ")
    }
}
