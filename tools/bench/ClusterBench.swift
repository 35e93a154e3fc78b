import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOSSL
import PakitContracts

/// `pakit-bench cluster`: multi-node storage of real `pakit up` nodes on loopback, each with its
/// own data directory, key and CA, as separate machines would be (sharing this machine's two
/// cores and disk):
/// - a remote read of a large file (time to first byte, MB/s) beside the same read on the node
///   that holds it, which bounds it (disk and HTTP/2 on this machine, measured in this run);
/// - repair: from SIGKILL of the node holding a pin's replica to a new confirmed replica,
///   beside the mesh's detection time measured in this run, the grace and the transfer limit;
/// - churn: the share of reads that succeed while one node is killed every `--kill-seconds`
///   (and the previous one restarted), each read sent to a live node in turn, goal 100%.
///
/// The large reads are timed with curl over HTTP/2 (AsyncHTTPClient's streamed bodies top out
/// near 30 MB/s here, far below the server); their bytes are then checked by SHA-256.
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cluster", abstract: "Multi-node storage benchmark (real pakit up nodes).")

    @Option(help: "Nodes to start (3…16).") var nodes = 3
    @Option(help: "MiB of the file read remotely and replicated.") var sizeMib = 256
    @Option(help: "Seconds a replica's node may be dead before it is replaced (replica-grace).") var grace = 5
    @Option(help: "Seconds of the churn phase (0 skips it).") var churnSeconds = 90
    @Option(help: "Seconds between kills in the churn phase.") var killSeconds = 30
    @Option(help: "Work directory; default: system temp.") var workDir: String?

    func validate() throws {
        guard (3...16).contains(nodes) else { throw ValidationError("--nodes must be 3…16") }
        guard (1...4096).contains(sizeMib) else { throw ValidationError("--size-mib must be 1…4096") }
        guard grace >= 1, killSeconds >= 5, churnSeconds >= 0 else { throw ValidationError("--grace ≥ 1, --kill-seconds ≥ 5, --churn-seconds ≥ 0") }
    }

    final class Node {
        let index: Int
        let directory: String
        var process: Process
        var environment: [String: String]
        let client: HTTPClient

        init(index: Int, directory: String, process: Process, environment: [String: String], client: HTTPClient) {
            self.index = index
            self.directory = directory
            self.process = process
            self.environment = environment
            self.client = client
        }

        var storageURL: String { (try? String(contentsOfFile: "\(directory)/storage.url", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
        var gatewayURL: String { (try? String(contentsOfFile: "\(directory)/mesh-gateway.url", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
    }

    func run() async throws {
        #if DEBUG
        say("warning: debug build; run `swift run -c release pakit-bench cluster` for meaningful numbers")
        #endif
        let executables = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        let pakit = "\(executables)/pakit"
        let root = (workDir ?? NSTemporaryDirectory()) + "/pakit-bench-cluster-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var cluster: [Node] = []
        defer {
            for node in cluster { Self.kill(node) }
            try? FileManager.default.removeItem(atPath: root)
        }
        var base = ProcessInfo.processInfo.environment
        for key in base.keys where key.hasPrefix("PAKIT_") { base[key] = nil }
        base["PAKIT_REPLICA_GRACE"] = "\(grace)"
        base["PAKIT_LOG_LEVEL"] = "warning"

        Report.header("cluster: \(nodes) nodes (pakit up each, own key and CA, loopback), \(sizeMib) MiB file")
        for index in 0..<nodes {
            let environment = base
            let directory = "\(root)/node-\(index)"
            let seeds = cluster.first.map { [$0.gatewayURL] } ?? []
            let process = try await Self.start(pakit, directory: directory, seeds: seeds, environment: environment)
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(directory)/tls/ca.pem"))
            tls.certificateVerification = .noHostnameVerification
            cluster.append(Node(index: index, directory: directory, process: process, environment: environment,
                                client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))))
        }
        try await waitForMesh(pakit, cluster)

        // 1. A remote read beside the local one.
        let file = "\(root)/large.bin"
        try writeRandomFile(file, size: sizeMib << 20, seed: 42)
        let expected = try Self.sha256(ofFile: file)
        let cid = try Self.addedCID(try runCommand([pakit, "add", "--data", cluster[0].directory, file]))
        let size = sizeMib << 20
        let peerIDs = try cluster.map { try Self.peers(pakit, $0).node.peerID }
        _ = try timedRead(cluster[0], path: "/v1/files/\(cid)")  // warm: the page cache holds it as a reader's would
        let local = try timedRead(cluster[0], path: "/v1/files/\(cid)")
        try await waitForProviders(pakit, of: cid, on: cluster[1], toInclude: peerIDs[0])
        let remote = try timedRead(cluster[1], path: "/v1/files/\(cid)")
        let again = try timedRead(cluster[1], path: "/v1/files/\(cid)")
        guard local.bytes == size, remote.bytes == size, again.bytes == size,
              try await read(cluster[1], path: "/v1/files/\(cid)").digest == expected else {
            throw BenchError("a read returned other bytes than the file")
        }
        Report.line("local read on the holder (limit: disk + HTTP/2 here, curl)",
                    String(format: "%.0f MB/s, first byte %.1f ms", Report.mbps(size, local.total), local.firstByte.seconds * 1_000))
        Report.line("remote read (fetched from the holder, every block verified, kept)",
                    String(format: "%.0f MB/s, first byte %.1f ms", Report.mbps(size, remote.total), remote.firstByte.seconds * 1_000),
                    reference: String(format: "%.2f× the local read", local.total.seconds / remote.total.seconds))
        Report.line("the same read again on the reader (now local)",
                    String(format: "%.0f MB/s, first byte %.1f ms", Report.mbps(size, again.total), again.firstByte.seconds * 1_000))

        // 2. Replication, then repair after the replica's node dies.
        let pinStart = ContinuousClock.now
        _ = try runCommand([pakit, "pin", "add", "--data", cluster[0].directory, "--replicas", "2", cid])
        let first = try await waitForConfirmed(pakit, cid, on: cluster[0], excluding: [], timeout: .seconds(600))
        let placed = ContinuousClock.now - pinStart
        guard let holder = peerIDs.firstIndex(of: first) else { throw BenchError("the replica is on an unknown node") }
        Report.line("replica placed (k = 2, on \(holder == 1 ? "the node that read it" : "a node that had none of it"))",
                    String(format: "%.2f s", placed.seconds),
                    reference: holder == 1 ? "its blocks were already local" : String(format: "the transfer limit is %.2f s", local.total.seconds))
        let killedAt = ContinuousClock.now
        Self.kill(cluster[holder])
        // One loop watches both: the origin's gateway declaring the node dead, and a new
        // confirmed replica in the origin's pin.
        var detected: Duration?
        var repaired: Duration?
        while repaired == nil, ContinuousClock.now - killedAt < .seconds(900) {
            if detected == nil, let view = try? Self.peers(pakit, cluster[0]),
               view.peers.first(where: { $0.peerID == peerIDs[holder] })?.status == .dead {
                detected = ContinuousClock.now - killedAt
            }
            if let text = try? runCommand([pakit, "pin", "show", "--data", cluster[0].directory, cid, "--json"]),
               let status = try? JSONDecoder().decode(PinStatus.self, from: Data(text.utf8)),
               status.replicas.contains(where: { $0.state == .confirmed && $0.peerID != first }) {
                repaired = ContinuousClock.now - killedAt
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let repaired, let detected else { throw BenchError("no repair within 900 s") }
        Report.line("repair after SIGKILL of the replica's node", String(format: "%.2f s", repaired.seconds),
                    reference: String(format: "detection %.2f s (measured) + grace %d s + transfer ≥ %.2f s (the local read) = %.2f s",
                                      detected.seconds, grace, local.total.seconds, detected.seconds + Double(grace) + local.total.seconds))
        try await restart(pakit, cluster[holder], seedFrom: cluster[0])
        try await waitForMesh(pakit, cluster)

        // 3. Reads while nodes die: content with two copies (origin and one replica); each
        //    read goes to the next live node, which may hold it or fetch it.
        guard churnSeconds > 0 else { return }
        let tree = "\(root)/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        let count = max(40, churnSeconds * 4)
        var digests: [String: [UInt8]] = [:]
        for index in 0..<count {
            let path = "\(tree)/f\(index).bin"
            try writeRandomFile(path, size: 300_000, seed: UInt64(1_000 + index))
            digests["f\(index).bin"] = try Self.sha256(ofFile: path)
        }
        let directoryCID = try Self.addedCID(try runCommand([pakit, "add", "--data", cluster[0].directory, "-r", tree]).split(separator: "\n").last.map(String.init) ?? "")
        _ = try runCommand([pakit, "pin", "add", "--data", cluster[0].directory, "--replicas", "2", directoryCID])
        _ = try await waitForConfirmed(pakit, directoryCID, on: cluster[0], excluding: [], timeout: .seconds(300))
        for node in cluster.dropFirst() { try await waitForProviders(pakit, of: directoryCID, on: node, toInclude: peerIDs[0]) }
        var succeeded = 0
        var failed: [String] = []
        var victim = 0
        var killedNode: Node?
        let churnEnd = ContinuousClock.now + .seconds(churnSeconds)
        var nextKill = ContinuousClock.now + .seconds(killSeconds)
        var index = 0
        while ContinuousClock.now < churnEnd, index < count {
            if ContinuousClock.now >= nextKill {
                let next = cluster[victim % cluster.count]
                // Seeded by a node that stays up: neither the one coming back nor the next victim.
                if let down = killedNode, let seed = cluster.first(where: { $0 !== down && $0 !== next }) {
                    try await restart(pakit, down, seedFrom: seed)
                }
                killedNode = next
                Self.kill(next)
                victim += 1
                nextKill = ContinuousClock.now + .seconds(killSeconds)
            }
            let live = cluster.filter { $0 !== killedNode }
            let reader = live[index % live.count]
            let name = "f\(index).bin"
            index += 1
            do {
                let result = try await read(reader, path: "/v1/files/\(directoryCID)/\(name)")
                if result.digest == digests[name] { succeeded += 1 } else { failed.append("\(name): other bytes") }
            } catch {
                failed.append("\(name): \(error)")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let total = succeeded + failed.count
        if let down = killedNode { try await restart(pakit, down, seedFrom: cluster.first { $0 !== down } ?? cluster[0]) }
        Report.line("reads of never-read files (two copies), each from the next live node, one node of \(nodes) killed every \(killSeconds) s",
                    "\(succeeded) of \(total) succeeded (\(String(format: "%.1f", 100 * Double(succeeded) / Double(max(1, total))))%)",
                    target: "100%", met: failed.isEmpty)
        for failure in failed.prefix(5) { say("    failed: \(failure.prefix(200))") }
    }

    // MARK: - processes

    static func start(_ pakit: String, directory: String, seeds: [String], environment: [String: String]) async throws -> Process {
        try? FileManager.default.removeItem(atPath: "\(directory)/storage.url")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pakit)
        process.arguments = ["up", "--data", directory, "--port", "0", "--no-prover"] + (seeds.isEmpty ? [] : ["--seeds", seeds.joined(separator: ",")])
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: "\(directory)/storage.url", encoding: .utf8), !text.isEmpty,
               let gateway = try? String(contentsOfFile: "\(directory)/mesh-gateway.url", encoding: .utf8), !gateway.isEmpty {
                return process
            }
            guard process.isRunning else { throw BenchError("pakit up --data \(directory) exited with \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("pakit up --data \(directory) did not start within 180 s")
    }

    /// SIGKILL of the node's services, then of `pakit up`.
    static func kill(_ node: Node) {
        let pid = node.process.processIdentifier
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                Foundation.kill(child, SIGKILL)
            }
        }
        if node.process.isRunning {
            Foundation.kill(pid, SIGKILL)
            node.process.waitUntilExit()
        }
    }

    func restart(_ pakit: String, _ node: Node, seedFrom seed: Node) async throws {
        node.process = try await Self.start(pakit, directory: node.directory, seeds: [seed.gatewayURL], environment: node.environment)
    }

    // MARK: - reads

    struct ReadResult {
        let firstByte: Duration
        let total: Duration
        let digest: [UInt8]
    }

    /// One GET over HTTP/2: time to the first body byte, total time, SHA-256 of the body.
    func read(_ node: Node, path: String) async throws -> ReadResult {
        let start = ContinuousClock.now
        let response = try await node.client.execute(HTTPClientRequest(url: node.storageURL + path), timeout: .seconds(600))
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 16)
            throw BenchError("\(path) on node \(node.index): \(response.status.code) \(String(buffer: body).prefix(200))")
        }
        var hasher = SHA256()
        var firstByte: Duration?
        for try await buffer in response.body {
            if firstByte == nil { firstByte = ContinuousClock.now - start }
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        return ReadResult(firstByte: firstByte ?? .zero, total: ContinuousClock.now - start, digest: Array(hasher.finalize()))
    }

    struct TimedRead {
        let firstByte: Duration
        let total: Duration
        let bytes: Int
    }

    /// One GET with curl over HTTP/2, body discarded: times and length.
    func timedRead(_ node: Node, path: String) throws -> TimedRead {
        let output = try runCommand(["curl", "--http2", "-s", "--cacert", "\(node.directory)/tls/ca.pem", "-o", "/dev/null",
                                     "-w", "%{http_code} %{time_starttransfer} %{time_total} %{size_download}", node.storageURL + path])
        let fields = output.split(separator: " ")
        guard fields.count == 4, fields[0] == "200", let first = Double(fields[1]), let total = Double(fields[2]), let bytes = Int(fields[3]) else {
            throw BenchError("curl \(path) on node \(node.index): \(output.prefix(200))")
        }
        return TimedRead(firstByte: .microseconds(Int64(first * 1_000_000)), total: .microseconds(Int64(total * 1_000_000)), bytes: bytes)
    }

    static func sha256(ofFile path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchError("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return Array(hasher.finalize())
    }

    static func addedCID(_ output: String) throws -> String {
        guard let cid = output.split(separator: " ").dropFirst().first.map(String.init), cid.count > 10 else {
            throw BenchError("pakit add printed no CID: \(output.prefix(200))")
        }
        return cid
    }

    // MARK: - waiting on the nodes' own answers

    static func peers(_ pakit: String, _ node: Node) throws -> MeshPeersResponse {
        try JSONDecoder().decode(MeshPeersResponse.self, from: Data(try runCommand([pakit, "peers", "--data", node.directory, "--json"]).utf8))
    }

    func waitForMesh(_ pakit: String, _ cluster: [Node]) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let views = cluster.map { try? Self.peers(pakit, $0) }
            if views.allSatisfy({ ($0?.peers.filter { $0.status == .alive }.count ?? 0) == cluster.count - 1 }) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchError("the nodes did not form one mesh within 120 s")
    }

    func waitForProviders(_ pakit: String, of cid: String, on node: Node, toInclude peer: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let text = try? runCommand([pakit, "providers", "--data", node.directory, cid, "--json"]),
               let answer = try? JSONDecoder().decode(ProvidersResponse.self, from: Data(text.utf8)),
               answer.providers.contains(where: { $0.peerID == peer }) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("node \(node.index) never named \(peer) as a provider of \(cid)")
    }

    /// The peer ID of a confirmed replica not in `excluding`.
    func waitForConfirmed(_ pakit: String, _ cid: String, on node: Node, excluding: Set<String>, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = try? runCommand([pakit, "pin", "show", "--data", node.directory, cid, "--json"]),
               let status = try? JSONDecoder().decode(PinStatus.self, from: Data(text.utf8)),
               let replica = status.replicas.first(where: { $0.state == .confirmed && !excluding.contains($0.peerID) }) {
                return replica.peerID
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("no new confirmed replica of \(cid) within \(timeout)")
    }
}
