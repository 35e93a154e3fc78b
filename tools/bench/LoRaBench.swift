import ArgumentParser
import Foundation
import PakitContracts
import LoRaBridgeService
import PakitMeshtastic

/// `pakit-bench lora`: whole nodes (`pakit up --radio`) exchanging 1 KB files over the radio
/// simulator (`pakit-lora-sim`, a development stand-in for LoRa radios) in simulated time, each
/// figure beside the physical limit computed in the same run from the Semtech time-on-air
/// formula: the airtime of the request and the fragments, one after another, with no MAC wait.
///
/// Scenarios (docs/benchmarks.md, "LoRa"): LongFast one hop at 0, 10 and 30 % loss, three hops
/// at 10 %, ShortFast one hop; then an hour of simulated time on EU_868 fetching without pause,
/// with every device's airtime over the hour against the region's 10 % duty cycle; and
/// emergency alerts over fifty nodes (`LoRaAlertBench`).
struct LoRaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lora", abstract: "LoRa bridge benchmark over the radio simulator.")

    @Option(help: "Transfers per latency scenario.") var runs = 30
    @Option(help: "Simulated time runs this many times faster than the wall clock (LongFast scenarios).") var speed = 10.0
    @Option(help: "The same for the ShortFast scenarios (short transfers: host time, scaled, weighs more).") var shortFastSpeed = 2.0
    @Option(help: "The same for the duty-cycle soak.") var soakSpeed = 100.0
    @Option(help: "Simulated minutes of the duty-cycle soak (0 skips it).") var soakMinutes = 60
    @Option(help: "Work directory; default: system temp.") var workDir: String?
    @Flag(help: "Run only the duty-cycle soak.") var soakOnly = false
    @Option(help: "Emergency alerts over 50 simulated nodes (0 skips them).") var alertRuns = 5
    @Option(help: "Simulated time speed for the alert scenario.") var alertSpeed = 10.0
    @Flag(help: "Run only the emergency-alert scenario.") var alertsOnly = false
    @Option(help: "Run only the latency scenarios whose name contains this (e.g. '3 hops', 'ShortFast').") var only: String?

    func validate() throws {
        guard (1...500).contains(runs) else { throw ValidationError("--runs must be 1…500") }
        guard (1...200).contains(speed), (1...200).contains(shortFastSpeed), (1...500).contains(soakSpeed) else {
            throw ValidationError("--speed and --short-fast-speed must be 1…200, --soak-speed 1…500")
        }
        guard (0...600).contains(soakMinutes) else { throw ValidationError("--soak-minutes must be 0…600") }
        guard (0...100).contains(alertRuns), (1...100).contains(alertSpeed) else { throw ValidationError("--alert-runs must be 0…100, --alert-speed 1…100") }
    }

    func run() async throws {
        #if DEBUG
        say("warning: debug build; run `swift run -c release pakit-bench lora` for meaningful numbers")
        #endif
        let executables = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        let work = (workDir ?? NSTemporaryDirectory()) + "/pakit-bench-lora-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        say("pakit-bench lora: \(runs) transfers of 1,024 B per scenario; simulated time (radio simulator, a stand-in) at \(speed)× for LongFast, "
            + "\(shortFastSpeed)× for ShortFast, \(soakSpeed)× for the soak. Host time counts scaled: 10 ms of it at 10× reads as 100 ms.")

        var seed: UInt64 = 1
        if alertsOnly {
            try await LoRaAlertBench(executables: executables, work: work, speed: alertSpeed, runs: max(alertRuns, 1), loss: 0.1).run()
            return
        }
        if !soakOnly { try await latencyScenarios(executables: executables, work: work, seed: &seed) }
        if alertRuns > 0, !soakOnly {
            try await LoRaAlertBench(executables: executables, work: work, speed: alertSpeed, runs: alertRuns, loss: 0.1).run()
        }
        if soakMinutes > 0 {
            let soak = try await LoRaRig.start(executables: executables, work: "\(work)/soak", preset: "LONG_FAST", region: "EU_868", speed: soakSpeed)
            do { try await dutyCycleSoak(soak, seed: &seed) } catch {
                soak.stop()
                throw error
            }
            soak.stop()
        }
    }

    func latencyScenarios(executables: String, work: String, seed: inout UInt64) async throws {
        let longFast = try await LoRaRig.start(executables: executables, work: "\(work)/longfast", preset: "LONG_FAST", region: "US", speed: speed)
        do {
            Report.header("LongFast, US (no duty cycle), 1,024 B")
            for (loss, target) in [(0.0, "≤ 13 s"), (0.1, "p50 ≤ 14 s, p95 ≤ 22 s, 100 % success"), (0.3, "p95 ≤ 35 s")] {
                try await scenario(longFast, name: "1 hop, \(Int(loss * 100)) % loss", loss: loss, client: "B", server: 0, hops: 1,
                                   preset: .longFast, target: target, seed: &seed) { p50, p95, success in
                    switch loss {
                    case 0: p95 <= 13_000 && success == 1
                    case 0.1: p50 <= 14_000 && p95 <= 22_000 && success == 1
                    default: p95 <= 35_000 && success == 1
                    }
                }
            }
            try await scenario(longFast, name: "3 hops, 10 % loss", loss: 0.1, client: "C", server: 0, hops: 3, preset: .longFast,
                               target: "p95 ≤ 120 s", seed: &seed) { _, p95, success in p95 <= 120_000 && success == 1 }
            if only == nil || "LongFast index".contains(only ?? "") { try await indexScenario(longFast, seed: &seed) }
        } catch {
            longFast.stop()
            throw error
        }
        longFast.stop()

        let shortFast = try await LoRaRig.start(executables: executables, work: "\(work)/shortfast", preset: "SHORT_FAST", region: "US", speed: shortFastSpeed)
        do {
            Report.header("ShortFast, US, 1,024 B")
            for loss in [0.0, 0.1] {
                try await scenario(shortFast, name: "1 hop, \(Int(loss * 100)) % loss", loss: loss, client: "B", server: 0, hops: 1,
                                   preset: .shortFast, target: "p95 ≤ 3.5 s", seed: &seed) { _, p95, success in p95 <= 3_500 && success == 1 }
            }
        } catch {
            shortFast.stop()
            throw error
        }
        shortFast.stop()
    }

    /// Index announcements: the frame sizes, and how long after `pakit add` on A the file shows
    /// up in B's (one hop) and C's (three hops) copies of A's index, at 10 % loss.
    func indexScenario(_ rig: LoRaRig, seed: inout UInt64) async throws {
        Report.header("Index announcements, LongFast")
        let one = LoRaMessage.indexUpdate(.init(sequence: 2, entries: 1, digest: 0, added: [1])).encoded().count
        let full = LoRaMessage.indexUpdate(.init(sequence: 2, entries: 9, digest: 0, added: Array(1...9))).encoded().count
        let heartbeat = LoRaMessage.indexUpdate(.init(sequence: 2, entries: 9, digest: 0)).encoded().count
        let airtime = { (bytes: Int) in
            LoRaModulation.longFast.timeOnAirMs(payloadBytes: PayloadLimits.onAirBytes(
                encodedDataLength: PayloadLimits.encodedDataLength(payloadLength: bytes), pki: false)) / 1000
        }
        Report.line("update size", String(format: "%d B for one change (%.2f s on air), %d B for nine (%.2f s), %d B unchanged (%.2f s)",
                                          one, airtime(one), full, airtime(full), heartbeat, airtime(heartbeat)),
                    target: "≤ 48 B", met: max(one, full, heartbeat) <= 48)
        try rig.setLoss(0.1)
        var toB: [Double] = [], toC: [Double] = []
        for _ in 0..<min(runs, 5) {
            seed += 1
            let cid = try rig.add(size: 500, seed: seed, on: "A", pin: true)
            let started = Date()
            var seen: [String: Double] = [:]
            while seen.count < 2, Date().timeIntervalSince(started) * speed < 900 {
                for name in ["B", "C"] where seen[name] == nil {
                    if let text = try? rig.pakit(["lora", "providers", "--json", cid], on: name),
                       let list = try? JSONDecoder().decode(LoRaPeerList.self, from: Data(text.utf8)), list.peers.contains(where: { $0.node.number == rig.numbers[0] }) {
                        seen[name] = Date().timeIntervalSince(started) * speed
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            if let b = seen["B"] { toB.append(b) }
            if let c = seen["C"] { toC.append(c) }
        }
        let reference = "A reads its pins every 60 s of device time (--index-interval), then one broadcast floods 3 hops"
        Report.line("pinned on A → in B's copy (1 hop)", toB.isEmpty ? "never within 900 s" : Spread(toB).text("%.1f", "s"), reference: reference)
        Report.line("pinned on A → in C's copy (3 hops)", toC.isEmpty ? "never within 900 s" : Spread(toC).text("%.1f", "s"), reference: reference)
    }

    /// The airtime of a request and of a 1,024-byte block's fragments, back to back, per hop.
    static func limitMs(_ modulation: LoRaModulation, hops: Int) -> Double {
        let requestPayload = 1 + 2 + 1 + 8 + 1 + 36
        var airtime = modulation.timeOnAirMs(payloadBytes: PayloadLimits.onAirBytes(
            encodedDataLength: PayloadLimits.encodedDataLength(payloadLength: requestPayload), pki: true))
        var remaining = 1024
        while remaining > 0 {
            let data = min(remaining, 212)
            remaining -= data
            airtime += modulation.timeOnAirMs(payloadBytes: PayloadLimits.onAirBytes(
                encodedDataLength: PayloadLimits.encodedDataLength(payloadLength: data + 7), pki: true))
        }
        return airtime * Double(hops)
    }

    func scenario(
        _ rig: LoRaRig, name: String, loss: Double, client: String, server: Int, hops: Int, preset: LoRaModulation,
        target: String, seed: inout UInt64, met: (Double, Double, Double) -> Bool
    ) async throws {
        if let only, !"\(preset.spreadingFactor == 7 ? "ShortFast" : "LongFast") \(name)".contains(only) { return }
        try rig.setLoss(loss)
        var elapsed: [Double] = []
        var failures = 0
        var requests: [Double] = []
        var rebuilt = 0
        for _ in 0..<runs {
            seed += 1
            let cid = try rig.add(size: 1024, seed: seed, on: "A")
            let transfer = try rig.fetch(cid, on: client, from: rig.numbers[server])
            if transfer.state == .stored, let ms = transfer.elapsedMs {
                elapsed.append(ms)
                requests.append(Double(transfer.requests))
                rebuilt += transfer.recoveredFromParity
            } else {
                failures += 1
            }
        }
        let sorted = elapsed.sorted()
        let p50 = percentile(sorted, 0.5), p95 = percentile(sorted, 0.95)
        let success = Double(elapsed.count) / Double(runs)
        let limit = Self.limitMs(preset, hops: hops)
        Report.line(name, String(format: "p50 %.1f s, p95 %.1f s, max %.1f s; %d/%d stored; %.1f requests on average; %d fragments rebuilt from parity",
                                 p50 / 1000, p95 / 1000, (sorted.last ?? .nan) / 1000, elapsed.count, runs,
                                 requests.reduce(0, +) / Double(max(requests.count, 1)), rebuilt),
                    reference: String(format: "airtime limit %.2f s (request + 5 fragments%@)", limit / 1000, hops > 1 ? " × \(hops) hops" : ""),
                    target: target, met: failures == 0 && met(p50, p95, success))
    }

    func dutyCycleSoak(_ rig: LoRaRig, seed: inout UInt64) async throws {
        Report.header("Duty cycle: EU_868 (10 %), LongFast, \(soakMinutes) simulated minutes of back-to-back 1,024 B fetches at 10 % loss")
        try rig.setLoss(0.1)
        let startMs = try rig.report().simulatedMs
        var stored = 0, failed = 0
        while try rig.report().simulatedMs - startMs < Double(soakMinutes) * 60_000 {
            seed += 1
            let cid = try rig.add(size: 1024, seed: seed, on: "A")
            let transfer = try rig.fetch(cid, on: "B", from: rig.numbers[0])
            if transfer.state == .stored { stored += 1 } else { failed += 1 }
        }
        let report = try rig.report()
        let worst = report.nodes.map(\.dutyCyclePercentUsed).max() ?? 0
        let refusals = report.nodes.map(\.counters.refusedDutyCycle).reduce(0, +)
        let perFile = Self.limitMs(.longFast, hops: 1)
        Report.line("files stored", "\(stored) (\(failed) failed)",
                    reference: String(format: "%.1f s of airtime each: at most %.0f per hour in the bulk share (5 %%), %.0f at the full 10 %%",
                                      perFile / 1000, 180_000 / perFile, 360_000 / perFile))
        for node in report.nodes {
            Report.line("device \(node.index) airtime over the last hour", String(format: "%.1f s = %.2f %%", node.airtimeLastHourMs / 1000, node.dutyCyclePercentUsed),
                        reference: "limit 360 s = 10 %")
        }
        Report.line("duty-cycle refusals by the firmware", "\(refusals)", target: "0, every device ≤ 10 %", met: refusals == 0 && worst <= 10)
    }

    func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// The simulator (a line of four devices) and three nodes: A on device 0, B on device 1, C on
/// device 3 (three hops from A).
final class LoRaRig {
    let simulator: LoRaSimulatorProcess
    let executables: String
    let work: String
    var numbers: [UInt32] { simulator.numbers }
    var nodes: [String: Process] = [:]

    private init(simulator: LoRaSimulatorProcess, executables: String, work: String) {
        self.simulator = simulator
        self.executables = executables
        self.work = work
    }

    static func start(executables: String, work: String, preset: String, region: String, speed: Double) async throws -> LoRaRig {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let simulator = try LoRaSimulatorProcess(executables: executables, arguments: [
            "--nodes", "4", "--shape", "line", "--speed", "\(speed)", "--preset", preset, "--region", region, "--seed", "5",
        ])
        let started = LoRaRig(simulator: simulator, executables: executables, work: work)
        do {
            for (name, device) in [("A", 0), ("B", 1), ("C", 3)] {
                let up = Process()
                up.executableURL = URL(fileURLWithPath: "\(executables)/pakit")
                up.arguments = ["up", "--data", "\(work)/\(name)", "--port", "0", "--no-prover",
                                "--radio", "127.0.0.1:\(simulator.ports[device])", "--radio-time-scale", "\(speed)"]
                up.standardOutput = FileHandle.nullDevice
                up.standardError = FileHandle.nullDevice
                try up.run()
                started.nodes[name] = up
            }
            for name in ["A", "B", "C"] { try await started.waitForRadio(name) }
        } catch {
            started.stop()
            throw error
        }
        return started
    }

    func data(_ name: String) -> String { "\(work)/\(name)" }

    func pakit(_ arguments: [String], on name: String) throws -> String {
        try runCommand(["\(executables)/pakit"] + arguments + ["--data", data(name)])
    }

    func waitForRadio(_ name: String) async throws {
        for _ in 0..<1200 {
            if FileManager.default.fileExists(atPath: "\(data(name))/lora-bridge.url"),
               let text = try? pakit(["lora", "status", "--json"], on: name),
               let status = try? JSONDecoder().decode(RadioStatus.self, from: Data(text.utf8)), status.connected {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("node \(name)'s bridge did not connect its radio")
    }

    func setLoss(_ loss: Double) throws {
        _ = try simulator.command("loss \(loss)")
    }

    struct SimulatorReport: Decodable {
        struct Node: Decodable {
            struct Counters: Decodable { var refusedDutyCycle: Int }
            var index: Int
            var airtimeLastHourMs: Double
            var dutyCyclePercentUsed: Double
            var counters: Counters
        }
        var simulatedMs: Double
        var nodes: [Node]
    }

    func report() throws -> SimulatorReport {
        try JSONDecoder().decode(SimulatorReport.self, from: simulator.command("report"))
    }

    /// Adds a file on `name`. Unpinned unless `pin`: the node announces its pins, and an index
    /// that changes with every transfer would put its announcements on the air each time.
    func add(size: Int, seed: UInt64, on name: String, pin: Bool = false) throws -> String {
        let file = "\(work)/file-\(seed).bin"
        try writeRandomFile(file, size: size, seed: seed)
        defer { unlink(file) }
        return try pakit(["add", "-q"] + (pin ? [] : ["--no-pin"]) + [file], on: name).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `pakit lora fetch --json`: the final transfer (a failure exits 1 with the JSON too).
    func fetch(_ cid: String, on name: String, from peer: UInt32) throws -> LoRaTransfer {
        let text: String
        do { text = try pakit(["lora", "fetch", "--json", "--peer", "\(peer)", cid], on: name) } catch {
            return LoRaTransfer(id: "", cid: cid, peer: LoRaNodeID(number: peer), state: .failed, size: nil, fragmentsReceived: 0,
                                fragmentsTotal: nil, requests: 0, recoveredFromParity: 0, elapsedMs: nil, error: "\(error)")
        }
        return try JSONDecoder().decode(LoRaTransfer.self, from: Data(text.utf8))
    }

    func stop() {
        for up in nodes.values where up.isRunning {
            up.terminate()
        }
        for up in nodes.values { up.waitUntilExit() }
        simulator.stop()
    }
}

/// `pakit-lora-sim` as a child process: its ready line (every device's number and port) and its
/// stdin commands, each answered with one JSON line.
final class LoRaSimulatorProcess {
    private let process: Process
    private let control: FileHandle
    private let output: FileHandle
    private var buffer = Data()
    private(set) var numbers: [UInt32] = []
    private(set) var ports: [Int] = []

    init(executables: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "\(executables)/pakit-lora-sim")
        process.arguments = arguments
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        control = input.fileHandleForWriting
        self.output = output.fileHandleForReading
        try process.run()
        struct Ready: Decodable {
            struct Node: Decodable { var number: UInt32; var port: Int }
            var nodes: [Node]
        }
        let ready = try JSONDecoder().decode(Ready.self, from: readLine())
        numbers = ready.nodes.map(\.number)
        ports = ready.nodes.map(\.port)
    }

    /// Sends one command line (`report`, `loss P`) and returns its answer.
    func command(_ line: String) throws -> Data {
        control.write(Data((line + "\n").utf8))
        return try readLine()
    }

    private func readLine() throws -> Data {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return Data(line)
            }
            let chunk = output.availableData
            guard !chunk.isEmpty else { throw BenchError("the radio simulator ended") }
            buffer.append(chunk)
        }
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }
}
