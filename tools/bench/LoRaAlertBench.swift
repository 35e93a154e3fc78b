import Foundation
import Logging
import LoRaBridgeService
import PakitContracts
import PakitCore
import PakitMeshtastic
import PakitService
import PakitTLS

/// Emergency broadcast over fifty simulated devices, every node within three hops of the one
/// that issues the alert: fifty LoRa bridges (the real `LoRaBridgeNode`, in this process, each
/// with its own database and its own simulated device over TCP) and the radio simulator (its
/// own process, a development stand-in). Each alert's arrival at every bridge is timed in
/// simulated time; the figure is the share of nodes that hold it, signature checked, within
/// 60 s, beside the time a perfect three-hop flood would take.
struct LoRaAlertBench {
    let executables: String
    let work: String
    let speed: Double
    let runs: Int
    let loss: Double
    static let nodes = 50
    static let rangeM = 2000.0
    static let windowMs = 60_000.0

    /// Node 0 in the middle; the others spread over a disc so that every one is at most three
    /// hops from it and the graph is connected (random geometric graph, radius `rangeM`).
    static func topology(seed: UInt64) -> (positions: [[Double]], links: [[Int]], hops: [Int]) {
        var random = SplitMix64(seed: seed)
        while true {
            var positions: [[Double]] = [[0, 0]]
            while positions.count < nodes {
                let x = Double.random(in: -2.6...2.6, using: &random) * rangeM, y = Double.random(in: -2.6...2.6, using: &random) * rangeM
                if (x * x + y * y).squareRoot() <= 2.6 * rangeM { positions.append([x, y]) }
            }
            var links: [[Int]] = []
            var adjacency = Array(repeating: [Int](), count: nodes)
            for a in 0..<nodes {
                for b in (a + 1)..<nodes {
                    let dx = positions[a][0] - positions[b][0], dy = positions[a][1] - positions[b][1]
                    if (dx * dx + dy * dy).squareRoot() <= rangeM {
                        links.append([a, b])
                        adjacency[a].append(b)
                        adjacency[b].append(a)
                    }
                }
            }
            var hops = Array(repeating: Int.max, count: nodes)
            hops[0] = 0
            var queue = [0]
            while !queue.isEmpty {
                let node = queue.removeFirst()
                for next in adjacency[node] where hops[next] == .max {
                    hops[next] = hops[node] + 1
                    queue.append(next)
                }
            }
            if hops.allSatisfy({ $0 <= 3 }), hops.contains(3) { return (positions, links, hops) }
        }
    }

    func run() async throws {
        let layout = Self.topology(seed: 50)
        let topologyFile = "\(work)/alert-topology.json"
        let document: [String: Any] = ["positions": layout.positions, "links": layout.links, "preset": "LONG_FAST", "region": "US", "loss": loss, "seed": 50]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: topologyFile))
        let byHops = (1...3).map { hop in layout.hops.filter { $0 == hop }.count }
        Report.header("Emergency broadcast: \(Self.nodes) nodes (LongFast, US), \(byHops[0]) / \(byHops[1]) / \(byHops[2]) at 1 / 2 / 3 hops, "
                      + "\(Int(loss * 100)) % loss, \(runs) alerts")

        let simulator = try LoRaSimulatorProcess(executables: executables, arguments: ["--topology", topologyFile, "--speed", "\(speed)"])
        defer { simulator.stop() }

        let tls = try NodeCertificates.issue(in: "\(work)/alert-tls", identities: [ServiceName.loraBridge.rawValue])
        guard let paths = tls[ServiceName.loraBridge.rawValue] else { throw BenchError("no lora-bridge certificate") }
        var logger = Logger(label: "bench.lora-alerts")
        logger.logLevel = .error
        var bridges: [LoRaBridgeNode] = []
        var runners: [Task<Void, Never>] = []
        defer { for runner in runners { runner.cancel() } }
        for (index, port) in simulator.ports.enumerated() {
            let configuration = try ServiceHost<LoRaBridgeNode>.configuration(arguments: [
                "--data-dir", "\(work)/alert-node-\(index)", "--port", "0", "--radio", "127.0.0.1:\(port)",
                "--radio-time-scale", "\(speed)", "--tls-ca", paths.caCertificate, "--tls-cert", paths.certificate, "--tls-key", paths.privateKey,
            ], environment: [:])
            let bridge = try await LoRaBridgeNode.open(configuration, logger: logger)
            bridges.append(bridge)
            runners.append(Task { await bridge.bridge.run() })
        }
        for bridge in bridges {
            var connected = false
            for _ in 0..<600 where !connected {
                connected = await bridge.bridge.status().connected
                if !connected { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard connected else { throw BenchError("a bridge did not connect its simulated device") }
        }

        let message = "Hurricane warning: shelters open at schools in Dangriga; leave low ground now"
        var reachedShares: [Double] = []
        var arrivals: [Double] = []
        var transmissions: [Double] = []
        var reachedByHop = [0, 0, 0], expectedByHop = [0, 0, 0]
        var late = 0
        for _ in 0..<runs {
            let alert = try await bridges[0].bridge.issueAlert(message: message, severity: 4)
            let started = Date()
            var reached: [Int: Double] = [:]
            // Look a little past the window, to tell late arrivals from none.
            while Date().timeIntervalSince(started) * 1000 * speed < Self.windowMs * 1.5 && reached.count < Self.nodes - 1 {
                for index in 1..<Self.nodes where reached[index] == nil {
                    if await bridges[index].bridge.allAlerts().contains(where: { $0.id == alert.id }) {
                        reached[index] = Date().timeIntervalSince(started) * 1000 * speed
                    }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let inTime = reached.filter { $0.value <= Self.windowMs }
            late += reached.count - inTime.count
            for index in 1..<Self.nodes where inTime[index] == nil {
                say("    missed: node \(index), \(layout.hops[index]) hops, \(layout.links.filter { $0.contains(index) }.count) neighbours, arrived \(reached[index].map { String(format: "%.1f s", $0 / 1000) } ?? "never")")
            }
            reachedShares.append(Double(inTime.count) / Double(Self.nodes - 1))
            arrivals += inTime.values
            for index in 1..<Self.nodes {
                expectedByHop[layout.hops[index] - 1] += 1
                if inTime[index] != nil { reachedByHop[layout.hops[index] - 1] += 1 }
            }
            transmissions.append(Double(await bridges[0].bridge.allAlerts().first { $0.id == alert.id }?.transmissions ?? 0))
            // Let the flood and any repeats die away before the next alert.
            try await Task.sleep(for: .seconds(Self.windowMs / 1000 / speed))
        }
        for bridge in bridges { await bridge.close() }
        struct SimulatorReport: Decodable {
            struct Node: Decodable { var airtimeLastHourMs: Double }
            var nodes: [Node]
        }
        let airtimeMs = try JSONDecoder().decode(SimulatorReport.self, from: simulator.command("report")).nodes.map(\.airtimeLastHourMs).reduce(0, +)

        let frame = 11 + message.utf8.count + 32 + 64
        let onAir = PayloadLimits.onAirBytes(encodedDataLength: PayloadLimits.encodedDataLength(payloadLength: frame), pki: false)
        let airtime = LoRaModulation.longFast.timeOnAirMs(payloadBytes: onAir)
        let relayWait = Double(2 * MACTiming.maximumContentionWindow) * LoRaModulation.longFast.slotTimeMs
        let floodLimit = 3 * airtime + 2 * relayWait
        let sorted = arrivals.sorted()
        let total = reachedShares.reduce(0, +) / Double(max(reachedShares.count, 1))
        Report.line("nodes holding the alert within 60 s", String(format: "%.1f %% on average, %.1f %% in the worst of %d alerts (1 hop %d/%d, 2 hops %d/%d, 3 hops %d/%d)",
                                                                  total * 100, (reachedShares.min() ?? 0) * 100, runs,
                                                                  reachedByHop[0], expectedByHop[0], reachedByHop[1], expectedByHop[1], reachedByHop[2], expectedByHop[2]),
                    reference: String(format: "a perfect 3-hop flood: %.1f s (%.2f s on air per hop, %d B frame)", floodLimit / 1000, airtime / 1000, frame),
                    target: "≥ 99 % within 60 s", met: (reachedShares.min() ?? 0) >= 0.99)
        Report.line("time to reach a node", String(format: "p50 %.1f s, p95 %.1f s, max %.1f s; %d arrivals after 60 s (looked until 90 s)",
                                                   percentile(sorted, 0.5) / 1000, percentile(sorted, 0.95) / 1000, (sorted.last ?? .nan) / 1000, late))
        Report.line("broadcasts by the issuer per alert", Spread(transmissions).text("%.0f", ""))
        Report.line("airtime per alert, all devices together", String(format: "%.0f s = %.1f transmissions of the alert (the mesh's flood and the bridges' relays)",
                                                                       airtimeMs / Double(runs) / 1000, airtimeMs / Double(runs) / airtime),
                    reference: String(format: "one transmission by each of the %d nodes: %.0f s", Self.nodes, Double(Self.nodes) * airtime / 1000))
    }

    func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(max(Int((fraction * Double(sorted.count)).rounded(.up)) - 1, 0), sorted.count - 1)]
    }
}
