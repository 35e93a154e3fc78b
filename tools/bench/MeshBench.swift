import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitTLS

/// `pakit-bench mesh`: the membership of real `pakit-mesh-gateway` processes on loopback —
/// how fast a joiner learns the mesh and the mesh learns the joiner, what idle members cost,
/// how fast a killed member is declared dead everywhere — each beside the issue's target and
/// what the anchors reach (`../shared/reference/mesh.md` §8, labelled as references).
///
/// Every gateway has its own data directory, node key and CA, as separate machines would. The
/// views are read by polling each gateway's `GET /v1/peers` every 25 ms, so every time below
/// carries up to 25 ms of polling resolution, and the polling itself is load on the same two
/// cores the gateways share.
struct MeshBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mesh", abstract: "Mesh gateway membership benchmark (real processes).")

    @Option(help: "Gateways to start (each its own process, data directory and key).") var nodes = 32
    @Option(help: "Members killed one after another for the detection figure.") var kills = 5
    @Option(help: "Seconds of the idle-cost window.") var idleSeconds = 10
    @Option(help: "Work directory; default: system temp.") var workDir: String?
    @Option(help: "Seconds of the pause soak (0 skips it): a random member is SIGSTOPped for 1 s every 5 s; every member's recorded deaths are summed.")
    var soakSeconds = 0
    @Option(help: "Percent of the gateways' UDP dropped during the pause soak (an nftables rule on loopback, between the gateways' mesh addresses only; needs root and nft).")
    var soakLoss = 0
    @Option(help: "Announcements for the dissemination figure (0 skips it).") var announcements = 10
    @Flag(help: "Skip the hostile-member figures (forgers graylisted, invalid-packet flood).") var noHostile = false

    func validate() throws {
        guard (3...200).contains(nodes) else { throw ValidationError("--nodes must be 3…200") }
        guard kills >= 1, kills < nodes - 1 else { throw ValidationError("--kills must be 1…nodes − 2") }
    }

    final class Gateway {
        let directory: String
        let process: Process
        let url: String
        init(directory: String, process: Process, url: String) {
            self.directory = directory
            self.process = process
            self.url = url
        }
    }

    func run() async throws {
        #if DEBUG
        say("warning: debug build; run `swift run -c release pakit-bench mesh` for meaningful numbers")
        #endif
        let executables = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        let root = (workDir ?? NSTemporaryDirectory()) + "/pakit-bench-mesh-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none  // reading public views of gateways with 32 different CAs
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        var gateways: [Gateway] = []
        defer {
            for gateway in gateways where gateway.process.isRunning { kill(gateway.process.processIdentifier, SIGKILL) }
        }

        func launch(_ index: Int, seeds: [String]) async throws -> Gateway {
            let directory = "\(root)/node-\(index)"
            _ = try runCommand(["\(executables)/pakit", "init", "--data", directory])
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "\(executables)/pakit-mesh-gateway")
            // Each gateway on its own loopback IP, as separate machines: per-IP limits and the
            // colocation score (P6) see what they would in a real network.
            process.arguments = ["--data-dir", directory, "--port", "0", "--mesh-port", "0", "--log-level", "error",
                                 "--mesh-host", "127.0.\(index / 200).\(index % 200 + 2)"]
                + (seeds.isEmpty ? [] : ["--seeds", seeds.joined(separator: ",")])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if let text = try? String(contentsOfFile: "\(directory)/mesh-gateway.url", encoding: .utf8), !text.isEmpty {
                    return Gateway(directory: directory, process: process, url: text.trimmingCharacters(in: .whitespacesAndNewlines))
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            throw BenchError("gateway \(index) did not start")
        }

        func view(_ gateway: Gateway) async -> MeshPeersResponse? {
            guard let response = try? await client.execute(HTTPClientRequest(url: gateway.url + "/v1/peers"), timeout: .seconds(5)),
                  let body = try? await response.body.collect(upTo: 4 << 20) else { return nil }
            return try? JSONDecoder().decode(MeshPeersResponse.self, from: Data(body.readableBytesView))
        }

        Report.header("mesh membership: \(nodes) pakit-mesh-gateway processes on loopback (each its own 127.0.x.y, key and CA); views polled every 25 ms")
        // Joins one at a time through the first gateway: each joiner's own view, then everyone's.
        gateways.append(try await launch(0, seeds: []))
        var learnsAll: [Double] = []
        var learnedByAll: [Double] = []
        for index in 1..<nodes {
            let joiner = try await launch(index, seeds: [gateways[0].url])
            let listening = ContinuousClock.now
            gateways.append(joiner)
            guard let id = await view(joiner)?.node.peerID else { throw BenchError("no view from gateway \(index)") }
            var knowsAll: Double?
            var knownByAll: Double?
            let deadline = listening + .seconds(30)
            while (knowsAll == nil || knownByAll == nil) && ContinuousClock.now < deadline {
                let elapsed = (ContinuousClock.now - listening).seconds * 1_000
                if knowsAll == nil, let own = await view(joiner), own.peers.count { $0.status == .alive } == index {
                    knowsAll = elapsed
                }
                if knownByAll == nil {
                    var all = true
                    for other in gateways.dropLast() {
                        guard let seen = await view(other), seen.peers.contains(where: { $0.peerID == id && $0.status == .alive }) else {
                            all = false
                            break
                        }
                    }
                    if all { knownByAll = elapsed }
                }
                try await Task.sleep(for: .milliseconds(25))
            }
            learnsAll.append(knowsAll ?? .infinity)
            learnedByAll.append(knownByAll ?? .infinity)
        }
        Report.line("a joiner knows every member (from its listening; \(nodes - 1) joins, one at a time)", Self.percentiles(learnsAll),
                    reference: "memberlist: one TCP push-pull round trip (derived, mesh.md §8); swift-cluster-membership: seconds (no push-pull)",
                    target: "p99 ≤ 200 ms", met: Self.p99(learnsAll) <= 200)
        Report.line("every member knows the joiner", Self.percentiles(learnedByAll),
                    reference: "memberlist LAN: 99% of members ≈ 1.2 s, 99.99% ≈ 1.8 s (derived); t100 median 0.62 s in the reference's model",
                    target: "p99 ≤ 500 ms", met: Self.p99(learnedByAll) <= 500)

        // Idle cost: CPU and memory of every gateway over a quiet window.
        let before = try gateways.map { try ProcFS.cpuSeconds($0.process.processIdentifier) }
        let windowStart = ContinuousClock.now
        try await Task.sleep(for: .seconds(idleSeconds))
        let window = (ContinuousClock.now - windowStart).seconds
        let used = try zip(gateways, before).map { try ProcFS.cpuSeconds($0.0.process.processIdentifier) - $0.1 }.reduce(0, +)
        let rss = gateways.map { Double(ProcFS.memoryKiB($0.process.processIdentifier, "VmRSS")) / 1_024 }
        Report.line("\(nodes) idle members, CPU together", String(format: "%.1f%% of the two cores (%.3f core-seconds per second)", 100 * used / window / 2, used / window),
                    reference: "memberlist: 2–3 cores busy at ~2,500 members (memberlist #243); Serf: 5–10 MB resident",
                    target: "≤ 50% of the two cores", met: used / window / 2 <= 0.5)
        Report.line("resident memory per member", String(format: "median %.1f MiB, max %.1f MiB", Spread(rss).median, rss.max() ?? 0),
                    target: "≤ 50 MB each", met: (rss.max() ?? 0) * 1.048576 <= 50)

        func health(_ gateway: Gateway) async -> MeshHealth? {
            guard let response = try? await client.execute(HTTPClientRequest(url: gateway.url + "/v1/mesh/health"), timeout: .seconds(5)),
                  let body = try? await response.body.collect(upTo: 1 << 16) else { return nil }
            return try? JSONDecoder().decode(MeshHealth.self, from: Data(body.readableBytesView))
        }

        if announcements > 0 {
            try await disseminate(gateways, client: client, health: health)
        }
        if !noHostile {
            try await hostile(gateways, executables: executables, client: client, view: view, health: health)
        }

        // Pause soak: no member fails, members pause (SIGSTOP 1 s) one at a time; any death
        // recorded anywhere is a false one.
        if soakSeconds > 0 {
            var before = 0
            for gateway in gateways { before += await health(gateway)?.deathsRecorded ?? 0 }
            if soakLoss > 0 {
                // Only datagrams between gateways' mesh addresses (127.0.0.2 … 127.0.1.255): the
                // HTTPS views on 127.0.0.1 and everything else on this machine are untouched.
                _ = try runCommand(["nft", "add", "table", "inet", "pakit_bench_mesh"])
                _ = try runCommand(["nft", "add", "chain", "inet", "pakit_bench_mesh", "out", "{ type filter hook output priority 0; policy accept; }"])
                _ = try runCommand(["nft", "add", "rule", "inet", "pakit_bench_mesh", "out", "ip", "saddr", "127.0.0.2-127.0.1.255", "ip", "daddr",
                                    "127.0.0.2-127.0.1.255", "meta", "l4proto", "udp", "numgen", "random", "mod", "100", "<", "\(soakLoss)", "drop"])
            }
            defer { if soakLoss > 0 { _ = try? runCommand(["nft", "delete", "table", "inet", "pakit_bench_mesh"]) } }
            let soakEnd = ContinuousClock.now + .seconds(soakSeconds)
            var pauses = 0
            while ContinuousClock.now < soakEnd {
                let victim = gateways[Int.random(in: 1..<gateways.count)]
                kill(victim.process.processIdentifier, SIGSTOP)
                try await Task.sleep(for: .seconds(1))
                kill(victim.process.processIdentifier, SIGCONT)
                pauses += 1
                try await Task.sleep(for: .seconds(4))
            }
            try await Task.sleep(for: .seconds(10))  // let the last suspicions resolve
            var after = 0
            var suspects = 0
            for gateway in gateways {
                let seen = await health(gateway)
                after += seen?.deathsRecorded ?? 0
                suspects += (seen?.suspect ?? 0) + (seen?.dead ?? 0)
            }
            Report.line("pause soak: \(soakSeconds) s, \(pauses) SIGSTOP pauses of 1 s, \(soakLoss)% of mesh datagrams dropped", "\(after - before) false deaths recorded across \(nodes) members; \(suspects) members still suspect or dead at the end",
                        reference: "Lifeguard: > 50× fewer false positives than SWIM (published)",
                        target: "0 false deaths", met: after == before)
        }

        // Failure detection: SIGKILL one member at a time; until every other member says dead.
        var detections: [Double] = []
        var victims = Array(gateways.indices.dropFirst()).shuffled()
        for _ in 0..<kills {
            let victim = victims.removeFirst()
            guard let id = await view(gateways[victim])?.node.peerID else { continue }
            kill(gateways[victim].process.processIdentifier, SIGKILL)
            gateways[victim].process.waitUntilExit()
            let killed = ContinuousClock.now
            let observers = gateways.indices.filter { $0 != victim && gateways[$0].process.isRunning }
            var detected: Double?
            while detected == nil && ContinuousClock.now < killed + .seconds(60) {
                var all = true
                for observer in observers {
                    guard let seen = await view(gateways[observer]), seen.peers.contains(where: { $0.peerID == id && $0.status == .dead }) else {
                        all = false
                        break
                    }
                }
                if all { detected = (ContinuousClock.now - killed).seconds * 1_000 }
                try await Task.sleep(for: .milliseconds(25))
            }
            detections.append(detected ?? .infinity)
        }
        Report.line("a SIGKILLed member is dead at every other member (\(detections.count) kills)", Self.percentiles(detections),
                    reference: "memberlist LAN ≈ 9–10 s, local config ≈ 7 s; swift-cluster-membership ≈ 4–12 s (derived, mesh.md §8)",
                    target: "p99 ≤ 5 s", met: Self.p99(detections) <= 5_000)
        try await client.shutdown()
    }

    /// Announcements published through random gateways' `/internal/v1/provide` (with that
    /// node's storage certificate), until every gateway names the origin; each gateway says when
    /// it stored the announcement.
    func disseminate(_ gateways: [Gateway], client: HTTPClient, health: (Gateway) async -> MeshHealth?) async throws {
        var sendsBefore = 0
        for gateway in gateways { sendsBefore += await health(gateway)?.gossip.payloadSends ?? 0 }
        var delays: [Double] = []
        var slowest: [Double] = []
        var provideCalls: [Double] = []
        var missing = 0
        for round in 0..<announcements {
            let origin = gateways[(round * 7) % gateways.count]
            let issued = try NodeCertificates.issue(in: "\(origin.directory)/tls", identities: ["storage"])
            guard let paths = issued["storage"] else { throw BenchError("no storage certificate for \(origin.directory)") }
            let storage = ServiceClient.make(tls: try paths.clientConfiguration(), http1Only: false)
            let cid = CID.raw(sha256Of: Array("bench \(round) \(UUID())".utf8)).string
            var request = HTTPClientRequest(url: origin.url + "/internal/v1/provide")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(ProvideRequest(added: [cid], removed: []))))
            let published = ContinuousClock.now
            let response = try await storage.execute(request, timeout: .seconds(10))
            guard response.status == .ok else { throw BenchError("provide at \(origin.url): \(response.status)") }
            provideCalls.append((ContinuousClock.now - published).seconds * 1_000)
            try await storage.shutdown()
            // Each gateway reports when it stored the announcement (`learnedAt`, this machine's
            // one clock), so the polling below sets no resolution: it only waits.
            var pending = Set(gateways.indices)
            var learned: [Int: UInt64] = [:]
            let urls = gateways.map(\.url)
            while !pending.isEmpty, ContinuousClock.now < published + .seconds(10) {
                for index in pending.sorted() {
                    guard let answer = try? await client.execute(HTTPClientRequest(url: urls[index] + "/v1/providers/\(cid)"), timeout: .seconds(5)),
                          let body = try? await answer.body.collect(upTo: 1 << 20),
                          let providers = try? JSONDecoder().decode(ProvidersResponse.self, from: Data(body.readableBytesView)),
                          let at = providers.learnedAt.values.first else { continue }
                    learned[index] = at
                    pending.remove(index)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            guard let originIndex = gateways.firstIndex(where: { $0 === origin }), let stored = learned[originIndex] else {
                throw BenchError("the origin did not store its own announcement")
            }
            let times = learned.filter { $0.key != originIndex }.map { Double(Int64($0.value) - Int64(stored)) }
            missing += pending.count
            delays += times
            slowest.append(pending.isEmpty ? (times.max() ?? 0) : .infinity)
            try await Task.sleep(for: .milliseconds(300))
        }
        var sendsAfter = 0
        for gateway in gateways { sendsAfter += await health(gateway)?.gossip.payloadSends ?? 0 }
        let perNode = Double(sendsAfter - sendsBefore) / Double(gateways.count * announcements)
        Report.line("an announcement reaches every member (\(announcements) announcements, \(gateways.count - 1) receivers each; from the origin storing it to each member storing it, ms on one clock)",
                    Self.percentiles(delays) + String(format: "; slowest member per announcement: median %.0f ms; %d never reached; the provide call itself: median %.0f ms",
                                                      Self.quantile(slowest, 0.5), missing, Self.quantile(provideCalls, 0.5)),
                    reference: "gossipsub model N = 64: t100 3–4 ms median, worst 436 ms; memberlist 0.62 s median (mesh.md §8)",
                    target: "100% within p99 ≤ 100 ms (0% loss)", met: missing == 0 && Self.p99(delays) <= 100)
        Report.line("payload sends per member per announcement", String(format: "%.2f", perNode),
                    reference: "gossipsub model D = 6: 6.9–7.0; memberlist 8 (mesh.md §8)", target: "≤ 7", met: perNode <= 7)
    }

    /// Three members' keys drive `pakit-mesh-adversary` forgers (their gateways keep running,
    /// so they stay members): time until every honest member scores all three below the
    /// graylist. Then 5,000 garbage datagrams a second at one member: its CPU beside its own
    /// idle CPU over the same length of time.
    func hostile(_ gateways: [Gateway], executables: String, client: HTTPClient, view: (Gateway) async -> MeshPeersResponse?,
                 health: (Gateway) async -> MeshHealth?) async throws {
        guard gateways.count >= 6 else { return }
        let victim = await view(gateways[0])?.node.peerID ?? ""
        let attackers = [1, 2, 3]
        let honest = gateways.indices.filter { !attackers.contains($0) }
        var attackerIDs: [String] = []
        for index in attackers { attackerIDs.append(await view(gateways[index])?.node.peerID ?? "") }
        var targets: [String] = []
        for index in honest { if let address = await view(gateways[index])?.node.meshAddress { targets.append(address) } }
        var attacks: [Process] = []
        let started = ContinuousClock.now
        for (position, index) in attackers.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "\(executables)/pakit-mesh-adversary")
            process.arguments = ["--behaviour", "forge", "--node-key", "\(gateways[index].directory)/keys/node-ed25519.key", "--targets", targets.joined(separator: ","),
                                 "--victim", victim, "--bind", "127.0.250.\(position + 1)", "--rate", "20", "--seconds", "30"]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            attacks.append(process)
        }
        var graylistedAfter: Double?
        while graylistedAfter == nil, ContinuousClock.now < started + .seconds(30) {
            var all = true
            for index in honest {
                guard let seen = await view(gateways[index]) else { all = false; break }
                let scores = Dictionary(seen.peers.map { ($0.peerID, $0.score) }, uniquingKeysWith: { a, _ in a })
                if !attackerIDs.allSatisfy({ (scores[$0] ?? 0) < -10_000 }) { all = false; break }
            }
            if all { graylistedAfter = (ContinuousClock.now - started).seconds }
            try await Task.sleep(for: .milliseconds(100))
        }
        for attack in attacks { kill(attack.processIdentifier, SIGKILL); attack.waitUntilExit() }
        var forgedAccepted = 0
        for index in honest { forgedAccepted += await health(gateways[index])?.gossip.accepted ?? 0 }
        Report.line("3 forging members (20 forged announcements/s each to \(honest.count) honest members) below the graylist at every honest member",
                    graylistedAfter.map { String(format: "after %.1f s", $0) } ?? "not within 30 s",
                    reference: "gossipsub v1.1: P4 weight −99 × topic weight 0.25, graylist −10,000 (mesh.md §3.3)",
                    target: "≤ 10 s", met: (graylistedAfter ?? .infinity) <= 10)

        // The invalid-packet flood at one member, against its own idle CPU.
        let target = gateways[honest[0]]
        guard let address = await view(target)?.node.meshAddress else { return }
        let pid = target.process.processIdentifier
        let idleStart = try ProcFS.cpuSeconds(pid)
        try await Task.sleep(for: .seconds(10))
        let idle = (try ProcFS.cpuSeconds(pid) - idleStart) / 10
        let flood = Process()
        flood.executableURL = URL(fileURLWithPath: "\(executables)/pakit-mesh-adversary")
        flood.arguments = ["--behaviour", "garbage", "--targets", address, "--bind", "127.0.251.1", "--rate", "5000", "--seconds", "10"]
        let output = Pipe()
        flood.standardOutput = output
        let floodStart = try ProcFS.cpuSeconds(pid)
        let wallStart = ContinuousClock.now
        try flood.run()
        flood.waitUntilExit()
        let wall = (ContinuousClock.now - wallStart).seconds
        let busy = (try ProcFS.cpuSeconds(pid) - floodStart) / wall
        let sent = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let seen = await health(target)
        Report.line("a flood of invalid datagrams at one member (\(String(format: "%.0f", Double(sent) / wall))/s for \(String(format: "%.0f", wall)) s from one address)",
                    String(format: "%.1f%% of one core (idle: %.1f%%); source graylisted: %@; %d packets refused",
                           busy * 100, idle * 100, (seen?.graylistedSources ?? 0) > 0 ? "yes" : "no", seen?.rejectedPackets ?? 0),
                    reference: "go-libp2p-pubsub peer gater and graylist (mesh.md §3.3); Ed25519 verify 80 µs ⇒ 5k/s would be 40% of a core unfiltered",
                    target: "≤ 50% of one core", met: busy <= 0.5)
    }

    /// The `q` quantile (nearest rank, rounding up) of `values`; infinity when there are none.
    static func quantile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .infinity }
        return sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded(.up)))]
    }

    static func p99(_ values: [Double]) -> Double { quantile(values, 0.99) }

    static func percentiles(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "no samples" }
        return String(format: "p50 %.0f ms, p99 %.0f ms, max %.0f ms", quantile(values, 0.5), quantile(values, 0.99), values.max() ?? 0)
    }
}
