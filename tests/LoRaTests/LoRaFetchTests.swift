import Foundation
import LoRaBridgeService
import LoRaSimulator
import PakitContracts
import PakitCore
import PakitMeshtastic
import PakitTestSupport
import Testing

/// Whole nodes (`pakit up --radio`) exchanging files over the simulated LoRa mesh only: the
/// nodes share no network path (no mesh seeds), so what B reads came over the radio.
@Suite("LoRa: files between nodes over the radio", .serialized)
struct LoRaFetchTests {
    /// A line of four simulated devices (pakit-lora-sim, its own process): A on device 0, B on
    /// device 1, a test-controlled client on device 2, C on device 3 (three hops from A).
    final class RadioNodes: Sendable {
        let simulator: LineProcess
        let control: FileHandle
        let ports: [Int]
        let numbers: [UInt32]
        let root: String
        let speed: Double
        let nodes: [String: Process]

        init(simulator: LineProcess, control: FileHandle, ports: [Int], numbers: [UInt32], root: String, speed: Double, nodes: [String: Process]) {
            self.simulator = simulator
            self.control = control
            self.ports = ports
            self.numbers = numbers
            self.root = root
            self.speed = speed
            self.nodes = nodes
        }

        func data(_ name: String) -> String { "\(root)/\(name)" }

        func setLoss(_ loss: Double) async throws {
            control.write(Data("loss \(loss)\n".utf8))
            let answer = try await simulator.nextJSON()
            #expect(answer["ok"] as? Bool == true)
        }

        func stop() {
            for process in nodes.values { ServiceProcess.killTree(process) }
            simulator.terminate()
            if ProcessInfo.processInfo.environment["KEEP"] == nil { try? FileManager.default.removeItem(atPath: root) }
        }
    }

    static let speed = 10.0

    /// `environment` is added to every node's (`PAKIT_LORA_*` reach the bridges).
    static func start(environment: [String: String] = [:]) async throws -> RadioNodes {
        let root = NSTemporaryDirectory() + "pakit-lora-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let (simulator, control) = try LineProcess.launchWithInput(
            try BuiltProduct.path("pakit-lora-sim"), ["--nodes", "4", "--shape", "line", "--speed", "\(speed)", "--seed", "11"])
        let ready = try await simulator.nextJSON()
        let devices = try #require(ready["nodes"] as? [[String: Any]])
        let ports = devices.compactMap { ($0["port"] as? NSNumber)?.intValue }
        let numbers = devices.compactMap { ($0["number"] as? NSNumber)?.uint32Value }
        var nodes: [String: Process] = [:]
        do {
            for (name, device) in [("A", 0), ("B", 1), ("C", 3)] {
                nodes[name] = try await startNode(data: "\(root)/\(name)", radioPort: ports[device], environment: environment)
            }
            for name in ["A", "B", "C"] { try await waitForRadio(data: "\(root)/\(name)") }
        } catch {
            for process in nodes.values { ServiceProcess.killTree(process) }
            simulator.terminate()
            throw error
        }
        return RadioNodes(simulator: simulator, control: control, ports: ports, numbers: numbers, root: root, speed: speed, nodes: nodes)
    }

    static func startNode(data: String, radioPort: Int, environment: [String: String] = [:]) async throws -> Process {
        let up = Process()
        up.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        up.executableURL = URL(fileURLWithPath: try BuiltProduct.path("pakit"))
        up.arguments = ["up", "--data", data, "--port", "0", "--no-prover", "--radio", "127.0.0.1:\(radioPort)", "--radio-time-scale", "\(speed)"]
        up.standardOutput = FileHandle.nullDevice
        FileManager.default.createFile(atPath: "\(data).log", contents: nil)
        up.standardError = FileHandle(forWritingAtPath: "\(data).log")
        try up.run()
        do {
            _ = try await ServiceProcess.waitForFile("\(data)/lora-bridge.url", while: up, timeout: .seconds(120))
        } catch {
            ServiceProcess.killTree(up)
            throw error
        }
        return up
    }

    static func pakit(_ arguments: [String], data: String) async throws -> ProcessResult {
        try await runProcess(try BuiltProduct.path("pakit"), arguments + ["--data", data])
    }

    static func waitForRadio(data: String) async throws {
        for _ in 0..<600 {
            let result = try await pakit(["lora", "status", "--json"], data: data)
            if result.status == 0, let status = try? JSONDecoder().decode(RadioStatus.self, from: result.stdout), status.connected { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the bridge at \(data) did not connect its radio")
    }

    /// Adds `size` random bytes on `data`'s node; the CID and the bytes.
    static func add(size: Int, seed: UInt64, on data: String) async throws -> (cid: String, bytes: [UInt8]) {
        let bytes = randomBytes(size, seed: seed)
        let file = "\(data)/upload-\(seed).bin"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let result = try await pakit(["add", "-q", file], data: data)
        guard result.status == 0 else { throw TestFailure("pakit add: \(result.stderr)") }
        return (result.output.trimmingCharacters(in: .whitespacesAndNewlines), bytes)
    }

    /// `pakit lora fetch --json` on `data` (waits for the end); the transfer as the bridge reports it.
    static func fetch(_ cid: String, on data: String, from peer: UInt32? = nil) async throws -> (status: Int32, transfer: LoRaTransfer?, output: String) {
        let result = try await pakit(["lora", "fetch", "--json", cid] + (peer.map { ["--peer", "\($0)"] } ?? []), data: data)
        return (result.status, try? JSONDecoder().decode(LoRaTransfer.self, from: result.stdout), result.output + result.stderr)
    }

    /// The bytes `pakit cat` reads on `data`'s node, or nil when it fails.
    static func cat(_ cid: String, on data: String) async throws -> [UInt8]? {
        let result = try await pakit(["cat", cid], data: data)
        return result.status == 0 ? Array(result.stdout) : nil
    }

    @Test("a file added on A is fetched over LoRa by B and by C (3 hops), verified by CID and readable there; at 0, 10 and 30 % loss")
    func filesCrossTheRadio() async throws {
        let mesh = try await Self.start()
        defer { mesh.stop() }
        try await Self.oneHopAtLosses(mesh)
        try await Self.threeHops(mesh)
    }

    static func oneHopAtLosses(_ mesh: RadioNodes) async throws {
        for (index, loss) in [0.0, 0.1, 0.3].enumerated() {
            try await mesh.setLoss(loss)
            let (cid, bytes) = try await add(size: 1024, seed: UInt64(100 + index), on: mesh.data("A"))
            // B shares no network with A: before the radio, B cannot read it.
            #expect(try await cat(cid, on: mesh.data("B")) == nil)
            let (status, transfer, output) = try await fetch(cid, on: mesh.data("B"), from: mesh.numbers[0])
            #expect(status == 0, "\(output)")
            #expect(transfer?.state == .stored, "loss \(loss): \(output)")
            #expect(transfer?.size == 1024)
            #expect(transfer?.peer.number == mesh.numbers[0])
            let read = try await cat(cid, on: mesh.data("B"))
            #expect(read.map { $0 == bytes } == true, "loss \(loss): the bytes B reads are not the file")
            if loss > 0 { #expect((transfer?.requests ?? 0) >= 1) }
        }
    }

    static func threeHops(_ mesh: RadioNodes) async throws {
        try await mesh.setLoss(0.1)
        let (cid, bytes) = try await add(size: 1024, seed: 200, on: mesh.data("A"))
        let (status, transfer, output) = try await fetch(cid, on: mesh.data("C"), from: mesh.numbers[0])
        #expect(status == 0, "\(output)")
        #expect(transfer?.state == .stored, "\(output)")
        let read = try await cat(cid, on: mesh.data("C"))
        #expect(read.map { $0 == bytes } == true, "the bytes C reads are not the file")
        // An identity CID cannot be checked on arrival: refused with a clear error, nothing starts.
        let identity = try await pakit(["lora", "fetch", "--peer", "\(mesh.numbers[0])", "bafkqaaa"], data: mesh.data("C"))
        #expect(identity.status != 0)
        #expect(identity.stderr.contains("only sha2-256 CIDs"), "\(identity.stderr)")
    }
}

extension LoRaFetchTests {
    @Test("a lying peer's fragments fail the CID check and nothing is stored; kill -9 of the bridge mid-transfer resumes it")
    func lyingPeerAndCrash() async throws {
        let mesh = try await Self.start()
        defer { mesh.stop() }
        try await Self.lyingPeer(mesh)
        try await Self.crashMidTransfer(mesh)
    }

    /// The test's own client on device 2 answers B's request with fragments of other bytes.
    static func lyingPeer(_ mesh: RadioNodes) async throws {
        let liar = MeshtasticDevice(endpoint: .tcp(host: "127.0.0.1", port: mesh.ports[2]), timeScale: mesh.speed, logger: .init(label: "test.liar"))
        let log = EventLog(liar)
        _ = try await liar.connect()
        let (cid, _) = try await add(size: 600, seed: 300, on: mesh.data("A"))
        async let fetched = fetch(cid, on: mesh.data("B"), from: mesh.numbers[2])
        let request = try #require(await log.packet(port: .privateApp, from: mesh.numbers[1]))
        guard case .fetchRequest(let asked) = try LoRaMessage.decode(Array(request.decoded.payload)) else {
            throw TestFailure("B did not send a fetch request")
        }
        #expect(asked.cid.string == cid)
        let lie = randomBytes(600, seed: 301)
        for (index, bytes) in FragmentCoding.dataFragments(of: lie).enumerated() {
            let fragment = LoRaMessage.fragment(.init(session: asked.session, index: UInt8(index), parity: 0, blockSize: 600, bytes: bytes))
            try await liar.send(.privateApp(to: mesh.numbers[1], payload: fragment.encoded(), hopLimit: 0))
        }
        let (status, transfer, output) = try await fetched
        #expect(status != 0)
        #expect(transfer?.state == .failed)
        #expect(transfer?.error?.contains("do not hash") == true, "\(output)")
        #expect(try await cat(cid, on: mesh.data("B")) == nil)
        await liar.disconnect()
    }

    static func transfer(_ id: String, on data: String) async throws -> LoRaTransfer? {
        let result = try await pakit(["lora", "transfers", "--json", id], data: data)
        return try? JSONDecoder().decode(LoRaTransfer.self, from: result.stdout)
    }

    static func bridgePID(_ data: String) throws -> Int32? {
        struct Up: Decodable {
            struct Service: Decodable { var name: String; var pid: Int? }
            var services: [Service]
        }
        let state = try JSONDecoder().decode(Up.self, from: Data(contentsOf: URL(fileURLWithPath: "\(data)/up.json")))
        return state.services.first { $0.name == "lora-bridge" }?.pid.map { Int32($0) }
    }

    /// At 30 % loss a 4 KB transfer takes several rounds: B's bridge is killed once fragments
    /// have arrived; `pakit up` restarts it and the transfer resumes from its stored fragments.
    static func crashMidTransfer(_ mesh: RadioNodes) async throws {
        try await mesh.setLoss(0.3)
        let (cid, bytes) = try await add(size: 4096, seed: 400, on: mesh.data("A"))
        let started = try await pakit(["lora", "fetch", "--no-wait", "--json", "--peer", "\(mesh.numbers[0])", cid], data: mesh.data("B"))
        let id = try #require(try? JSONDecoder().decode(LoRaTransfer.self, from: started.stdout)).id
        var before: LoRaTransfer?
        for _ in 0..<600 {
            before = try await transfer(id, on: mesh.data("B"))
            if let before, before.fragmentsReceived >= 2 || before.state != .requesting { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let seen = try #require(before)
        #expect(seen.state == .requesting, "the transfer ended before the crash could interrupt it")
        let pid = try #require(try bridgePID(mesh.data("B")))
        kill(pid, SIGKILL)
        var after: LoRaTransfer?
        for _ in 0..<1200 {
            if let current = try? await transfer(id, on: mesh.data("B")), current.state != .requesting {
                after = current
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let final = try #require(after, "the transfer did not finish after the restart")
        #expect(final.state == .stored, "\(final.error ?? "")")
        #expect(try bridgePID(mesh.data("B")) != pid)
        // The restarted bridge asked again for what was missing, keeping what had arrived.
        #expect(final.requests >= 2)
        #expect(final.fragmentsReceived >= seen.fragmentsReceived)
        let read = try await cat(cid, on: mesh.data("B"))
        #expect(read.map { $0 == bytes } == true)
    }
}
