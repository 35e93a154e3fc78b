import ArgumentParser
import Foundation
import Logging
import LoRaSimulator
import PakitMeshtastic

/// `pakit-lora-sim`: a simulated Meshtastic LoRa mesh (a development stand-in for radios),
/// each device serving the real client stream API on its own TCP port.
///
/// Prints one JSON line when every port is bound:
/// `{"ready":true,"speed":…,"preset":"LONG_FAST","region":"EU_868","nodes":[{"index":0,"number":…,"port":…}]}`.
/// Then reads commands on stdin, one per line, each answered with one JSON line:
/// `report` (per-node airtime, duty cycle and counters), `loss P` (set the link loss).
@main
struct PakitLoRaSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pakit-lora-sim",
        abstract: "A simulated Meshtastic LoRa mesh (development stand-in): one client stream API port per device."
    )

    @Option(help: "Topology file (JSON; docs/lora-bridge.md). Overrides --nodes/--shape/--spacing.")
    var topology: String?

    @Option(help: "Number of simulated devices.")
    var nodes: Int = 2

    @Option(help: "line, star, grid or random.")
    var shape: String = "line"

    @Option(help: "Distance between neighbours in metres.")
    var spacing: Double = 2000

    @Option(help: "Modem preset, e.g. LONG_FAST, SHORT_FAST.")
    var preset: String?

    @Option(help: "Region, e.g. EU_868, US.")
    var region: String?

    @Option(help: "Probability that a reception on a link is lost, [0, 1).")
    var loss: Double?

    @Option(help: "Mean loss burst length in packets (1 = independent losses).")
    var burst: Double?

    @Option(help: "Random seed.")
    var seed: UInt64?

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "First port (node i listens on base-port + i); 0 picks free ports.")
    var basePort: Int = 0

    @Option(help: "Simulated time runs this many times faster than the wall clock.")
    var speed: Double = 1

    @Flag(help: "Start with empty node databases (nodes learn each other from NodeInfo broadcasts).")
    var emptyNodeDB = false

    @Flag(help: "Do not broadcast NodeInfo.")
    var noNodeInfo = false

    func run() async throws {
        var logger = Logger(label: "pakit.lora-sim")
        logger.logLevel = .info
        var topology: Topology
        if let path = self.topology {
            topology = try Topology.load(path: path)
        } else {
            topology = try Topology.shape(shape, nodes: nodes, spacing: spacing)
        }
        if let preset { topology.modemPreset = try RadioNames.presetCode(preset) }
        if let region { topology.region = try RadioNames.regionCode(region) }
        if let loss {
            guard (0..<1).contains(loss) else { throw ValidationError("--loss must be in [0, 1)") }
            topology.loss = loss
        }
        if let burst {
            guard burst >= 1, burst <= 1000 else { throw ValidationError("--burst must be in [1, 1000]") }
            topology.burstLength = burst
        }
        if let seed { topology.seed = seed }
        let simulator = try await LoRaSimulator.start(.init(
            topology: topology, host: host, basePort: basePort, speed: speed,
            preloadNodeDB: !emptyNodeDB, nodeInfoBroadcasts: !noNodeInfo
        ), logger: logger)
        let ready = Ready(
            ready: true, speed: speed, preset: RadioNames.presetName(topology.modemPreset),
            region: RadioNames.regionName(topology.region), nodes: simulator.nodes
        )
        Self.printLine(ready)
        CommandReader.start(simulator: simulator)
        try await simulator.run()
    }

    struct Ready: Encodable {
        var ready: Bool
        var speed: Double
        var preset: String
        var region: String
        var nodes: [LoRaSimulator.Node]
    }

    static func printLine(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value), let line = String(data: data, encoding: .utf8) else { return }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

/// Reads control commands on stdin on a thread of its own (a blocking read must not hold a
/// thread of the cooperative pool).
enum CommandReader {
    struct Reply: Encodable {
        var ok: Bool
        var error: String?
        var simulatedMs: Double?
        var nodes: [SimulatedNodeReport]?
    }

    static func start(simulator: LoRaSimulator) {
        let thread = Thread {
            while let line = readLine() {
                let words = line.split(separator: " ").map(String.init)
                let done = DispatchSemaphore(value: 0)
                Task {
                    await execute(words, simulator: simulator)
                    done.signal()
                }
                done.wait()
            }
        }
        thread.start()
    }

    private static func execute(_ words: [String], simulator: LoRaSimulator) async {
        switch words.first {
        case "report":
            let nodes = await simulator.report()
            let now = await simulator.simulatedMilliseconds
            PakitLoRaSim.printLine(Reply(ok: true, simulatedMs: now, nodes: nodes))
        case "loss":
            guard words.count == 2, let value = Double(words[1]), (0..<1).contains(value) else {
                PakitLoRaSim.printLine(Reply(ok: false, error: "usage: loss P with P in [0, 1)"))
                return
            }
            await simulator.setLoss(value)
            PakitLoRaSim.printLine(Reply(ok: true))
        default:
            PakitLoRaSim.printLine(Reply(ok: false, error: "unknown command (report, loss P)"))
        }
    }
}
