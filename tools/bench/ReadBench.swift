import AsyncHTTPClient
import Foundation
import NIOCore
import PakitCore
import PakitHTTPClient

/// `pakit-bench storage --sections reads`: 4 KiB block `GET` beside `/health` (a trivial route
/// of the same server, through the same TLS, HTTP/2 and middleware: the framework's ceiling
/// here), both driven by nghttp2's `h2load` (a C client, so the client takes as little of the
/// two cores as possible), after every block was read back and verified by our own client.
extension StorageBench {
    func blockReads(executable: String, work: String) async throws {
        let directory = "\(work)/reads"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try StorageServer(executable: executable, dataDirectory: directory, databaseURL: nil)
        defer { server.stop() }
        _ = try await server.waitUntilListening(since: .now)
        let client = try server.client(http1Only: false)
        var cids: [CID] = []
        var random = SplitMix64(seed: 77)
        do {
            for _ in 0..<1000 {
                var block = [UInt8](repeating: 0, count: 4096)
                random.fill(&block)
                let cid = CID.raw(sha256Of: block)
                let request = ServiceRequest(.PUT, "/v1/blocks/\(cid)", headers: ["Authorization": "Bearer \(server.adminToken)"],
                                             body: .bytes(ByteBuffer(bytes: block)), timeout: .seconds(30), responseLimit: 1 << 16)
                let response = try await client.send(request, to: server.url)
                guard response.status == .created else { throw BenchError("PUT failed: \(response.status)") }
                cids.append(cid)
            }
            // Every block read back once and checked against its CID by the client too.
            for cid in cids {
                let response = try await client.send(ServiceRequest(.GET, "/v1/blocks/\(cid)", timeout: .seconds(30), responseLimit: 1 << 16),
                                                     to: server.url)
                guard response.status == .ok, cid.verifies(Array(response.body.readableBytesView)) else {
                    throw BenchError("GET \(cid) did not return the block")
                }
            }
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
        Report.line("1,000 blocks of 4 KiB read back over HTTP/2", "all verified against their CIDs by the client")

        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/h2load") else {
            Report.line("throughput and latency", "not measured: install h2load (Debian nghttp2-client)")
            return
        }
        let urls = "\(work)/read-urls.txt"
        FileManager.default.createFile(atPath: urls, contents: Data(cids.map { "\(server.url)/v1/blocks/\($0)\n" }.joined().utf8))
        let blocks = ["-i", urls]
        let health = ["\(server.url)/health"]

        // Warm-up, then interleaved runs so drift in the machine hits both routes alike.
        _ = try H2Load.run(blocks + ["-n", "5000", "-c", "1", "-m", "16"], server: server)
        _ = try H2Load.run(health + ["-n", "5000", "-c", "1", "-m", "16"], server: server)
        var blockRuns: [H2Load.Result] = []
        var healthRuns: [H2Load.Result] = []
        for _ in 0..<max(3, runs) {
            blockRuns.append(try H2Load.run(blocks + ["-n", "30000", "-c", "1", "-m", "16"], server: server))
            healthRuns.append(try H2Load.run(health + ["-n", "30000", "-c", "1", "-m", "16"], server: server))
        }
        let blockRate = Spread(blockRuns.map(\.rate))
        let healthRate = Spread(healthRuns.map(\.rate))
        let ratio = blockRate.median / healthRate.median
        Report.line("4 KiB block GET, 16 streams on one connection", blockRate.text("%.0f", "requests/s"),
                    reference: String(format: "server CPU %.0f µs/request", Spread(blockRuns.map(\.serverCPUPerRequest)).median * 1e6),
                    target: "≥ 10000/s", met: blockRate.median >= 10_000)
        Report.line("/health (trivial route), same server, same load", healthRate.text("%.0f", "requests/s"),
                    reference: String(format: "server CPU %.0f µs/request", Spread(healthRuns.map(\.serverCPUPerRequest)).median * 1e6))
        Report.line("  block GET / trivial route", String(format: "%.2f×", ratio), target: "≥ 0.9×", met: ratio >= 0.9)

        let single = try H2Load.run(blocks + ["-n", "10000", "-c", "1", "-m", "1"], server: server, latencies: "\(work)/read-latency.log")
        let singleHealth = try H2Load.run(health + ["-n", "10000", "-c", "1", "-m", "1"], server: server, latencies: "\(work)/health-latency.log")
        Report.line("one stream: block GET p50", String(format: "%.0f µs", single.p50 * 1e6),
                    reference: String(format: "/health p50 %.0f µs", singleHealth.p50 * 1e6), target: "≤ 300 µs", met: single.p50 <= 300e-6)
        Report.line("one stream: block GET p99", String(format: "%.0f µs", single.p99 * 1e6),
                    reference: String(format: "/health p99 %.0f µs", singleHealth.p99 * 1e6), target: "≤ 1000 µs", met: single.p99 <= 1e-3)
    }
}

/// nghttp2's `h2load`, with the server's CPU time over the run and, optionally, per-request
/// latencies from its log file.
enum H2Load {
    struct Result {
        var rate: Double
        var serverCPUPerRequest: Double
        var p50: Double = 0
        var p99: Double = 0
    }

    static func run(_ arguments: [String], server: StorageServer, latencies: String? = nil) throws -> Result {
        let count = Double(arguments.firstIndex(of: "-n").map { arguments[$0 + 1] }.flatMap(Int.init) ?? 1)
        let before = try server.cpuSeconds()
        let output = try runCommand(["h2load"] + arguments + (latencies.map { ["--log-file=\($0)"] } ?? []))
        let after = try server.cpuSeconds()
        guard output.contains("\(Int(count)) succeeded"),
              let line = output.split(separator: "\n").first(where: { $0.hasPrefix("finished in") }),
              let rate = line.split(separator: ",").dropFirst().first.flatMap({ Double($0.split(separator: " ").first ?? "") }) else {
            throw BenchError("h2load failed: \(output.suffix(500))")
        }
        var result = Result(rate: rate, serverCPUPerRequest: (after - before) / count)
        if let latencies {
            // Each line: start time (µs since epoch), status, duration (µs).
            let values = ((try? String(contentsOfFile: latencies, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { $0.split(separator: "\t").dropFirst(2).first.flatMap { Double($0) } }.sorted()
            guard !values.isEmpty else { throw BenchError("h2load wrote no latencies") }
            result.p50 = values[values.count / 2] / 1e6
            result.p99 = values[values.count * 99 / 100] / 1e6
        }
        return result
    }
}
