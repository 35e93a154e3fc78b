import ArgumentParser
import Foundation
import PakitContracts
import PakitFiles
import PakitIdentity

/// `pakit up`: a whole node on embedded defaults (SQLite, local CA, data in ./.pakit). It runs
/// `pakit init` (certificates and node key, once), then starts the node's services from one
/// table (`NodeServices.table`), each after the services it needs are ready, restarts one that
/// dies (with back-off), records their state for `pakit status`, and on Ctrl-C or SIGTERM stops
/// them all gracefully.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a node on this machine (embedded defaults).")

    @OptionGroup var data: DataDirectoryOption

    @Option(name: .long, help: "Storage HTTPS port (default: $PAKIT_STORAGE_PORT or 7070; 0 = any free port).")
    var port: Int?

    @Option(name: .long, help: "Address storage listens on (default: $PAKIT_STORAGE_HOST or 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Prover HTTPS port on 127.0.0.1 (default: $PAKIT_PROVER_PORT, else 7072, or a free port when --port is 0).")
    var proverPort: Int?

    @Option(name: .long, help: "Extra DNS names or IP addresses for the certificates (default: $PAKIT_TLS_HOSTNAMES).")
    var hostnames: String?

    @Flag(name: .long, help: "Start no prover (also the case when PAKIT_STORAGE_PROVERS names provers elsewhere).")
    var noProver = false

    @Option(name: .long, help: "Mesh gateway HTTPS port (default: $PAKIT_MESH_GATEWAY_PORT, else 7071, or a free port when --port is 0).")
    var gatewayPort: Int?

    @Option(name: .long, help: "UDP port of the mesh (default: $PAKIT_MESH_PORT, else 7946, or any free port when --port is 0).")
    var meshPort: Int?

    @Option(name: .long, help: "Gateway URLs of other nodes to join (https://host:port), comma-separated (default: $PAKIT_MESH_SEEDS).")
    var seeds: String?

    @Option(name: .long, help: "Chain relay HTTPS port on 127.0.0.1 (default: $PAKIT_CHAIN_RELAY_PORT, else 7074, or a free port when --port is 0).")
    var relayPort: Int?

    @Option(name: .long, help: "The BelizeChain node the relay submits to, ws:// or wss:// (default: $PAKIT_CHAIN_URL; none: submissions wait in the relay's outbox).")
    var chainURL: String?

    @Flag(name: .long, help: "Also start the dev chain (tools/devchain: a development stand-in for a BelizeChain node, not a node) and point the relay at it, its account endowed.")
    var devchain = false

    @Option(name: .long, help: "With --devchain: also endow ACCOUNT_HEX=PLANCK (repeatable), e.g. a payer to try storage payments with.")
    var devchainEndow: [String] = []

    @Option(name: .long, help: "A Meshtastic device for the LoRa bridge: HOST:PORT of its client API or a serial path like /dev/ttyUSB0 (default: $PAKIT_LORA_RADIO; none: no bridge).")
    var radio: String?

    @Option(name: .long, help: "Also start the radio simulator (tools/lora-sim: a development stand-in for LoRa radios) with N devices in a line; the bridge drives device 0, the others' ports are in <data>/lora-sim.json.")
    var radioSim: Int?

    @Option(name: .long, help: "With --radio-sim: simulated time runs this many times faster than the wall clock (the bridge is told).")
    var radioSimSpeed: Double = 1

    @Option(name: .long, help: "With --radio-sim: the modem preset (LONG_FAST, SHORT_FAST, …).")
    var radioSimPreset: String = "LONG_FAST"

    @Option(name: .long, help: "Device time runs this many times faster than the wall clock (a fast simulator's speed; default 1).")
    var radioTimeScale: Double?

    @Option(name: .long, help: "LoRa bridge HTTPS port on 127.0.0.1 (default: $PAKIT_LORA_BRIDGE_PORT, else 7073, or a free port when --port is 0).")
    var loraPort: Int?

    func run() async throws {
        let dataDirectory = data.path
        try NodeBootstrap.initialize(dataDirectory: dataDirectory, hostnames: NodeBootstrap.hostnames(hostnames))
        let environment = ProcessInfo.processInfo.environment
        let externalProvers = environment["PAKIT_STORAGE_PROVERS"].flatMap { $0.isEmpty ? nil : $0 }
        var options = NodeServices.Options(dataDirectory: dataDirectory, storageHost: host, storagePort: port, proverPort: nil,
                                           startProver: !noProver && externalProvers == nil, gatewayPort: nil, meshPort: meshPort, seeds: seeds)
        // Fixed before anything starts, so storage is given the gateway's and the prover's URLs
        // once and a restarted service comes back at the same address.
        options.gatewayPort = try servicePort(gatewayPort, variable: "PAKIT_MESH_GATEWAY_PORT", service: .meshGateway, environment: environment)
        if meshPort == nil, port == 0, environment["PAKIT_MESH_PORT"] == nil { options.meshPort = 0 }
        // Storage on every address: the mesh still needs one address peers can send to. Unless the
        // operator named one, the gateway's UDP socket stays on loopback (docs/operations.md).
        if let host, ["0.0.0.0", "::"].contains(host), environment["PAKIT_MESH_ADVERTISE"] == nil, environment["PAKIT_MESH_HOST"] == nil {
            options.meshHost = "127.0.0.1"
        }
        if options.startProver {
            options.proverPort = try servicePort(proverPort, variable: "PAKIT_PROVER_PORT", service: .prover, environment: environment)
        }
        options.relayPort = try servicePort(relayPort, variable: "PAKIT_CHAIN_RELAY_PORT", service: .chainRelay, environment: environment)
        options.chainURL = chainURL ?? environment["PAKIT_CHAIN_URL"].flatMap { $0.isEmpty ? nil : $0 }
        var devChain: DevChainChild?
        if devchain {
            guard chainURL == nil else { throw CLIError("--devchain starts its own chain: drop --chain-url") }
            let started = try await DevChainChild.start(dataDirectory: dataDirectory, endow: devchainEndow)
            devChain = started
            options.chainURL = started.url
        }
        let executables = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        var radioSimulator: LoRaSimChild?
        options.radio = radio ?? environment["PAKIT_LORA_RADIO"].flatMap { $0.isEmpty ? nil : $0 }
        options.radioTimeScale = radioTimeScale
        if let radioSim {
            guard radio == nil else { throw CLIError("--radio-sim starts its own simulated radios: drop --radio") }
            guard (1...1024).contains(radioSim) else { throw CLIError("--radio-sim takes 1 to 1024 devices") }
            guard radioSimSpeed > 0, radioSimSpeed <= 10_000 else { throw CLIError("--radio-sim-speed must be in (0, 10000]") }
            let started = try await LoRaSimChild.start(executable: "\(executables)/pakit-lora-sim", dataDirectory: dataDirectory,
                                                       nodes: radioSim, speed: radioSimSpeed, preset: radioSimPreset)
            radioSimulator = started
            options.radio = "127.0.0.1:\(started.firstPort)"
            options.radioTimeScale = radioTimeScale ?? radioSimSpeed
        }
        if options.radio != nil {
            options.loraPort = try servicePort(loraPort, variable: "PAKIT_LORA_BRIDGE_PORT", service: .loraBridge, environment: environment)
        }
        let specs = try NodeServices.startOrder(NodeServices.table.filter { $0.enabled(options) })
        let children = specs.map { spec in
            ChildService(spec: spec, executable: "\(executables)/\(spec.executable)", arguments: spec.arguments(options),
                         environment: spec.environment(options))
        }
        for child in children where !FileManager.default.isExecutableFile(atPath: child.executable) {
            throw CLIError("cannot find \(child.executable); build it with 'swift build' (it sits next to pakit)")
        }
        for spec in specs { try? FileManager.default.removeItem(atPath: "\(dataDirectory)/\(spec.service.rawValue).url") }
        let state = UpState(path: "\(dataDirectory)/up.json", pid: getpid())
        let supervisor = Supervisor(children: children, state: state)
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM])
        do {
            // In table order; each waits for the services it needs to be ready first.
            for child in children {
                try child.start()
                state.record(children)
                try await waitUntilListening(child, dataDirectory: dataDirectory, supervisor: supervisor)
                state.record(children)
            }
        } catch {
            supervisor.stopAll()
            devChain?.stop()
            radioSimulator?.stop()
            state.remove()
            throw error
        }
        var lines = ["Pakit node is up."]
        for child in children {
            lines.append("  \(child.spec.service.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(child.url ?? "?")\(child.spec.note)")
        }
        if let externalProvers { lines.append("  prover       \(externalProvers) (PAKIT_STORAGE_PROVERS)") }
        if let devChain { lines.append("  dev chain    \(devChain.url) (a development stand-in for a BelizeChain node; the relay's account is endowed)") }
        else if let chain = options.chainURL { lines.append("  chain        \(chain)") }
        if let radioSimulator {
            lines.append("  radio sim    \(radioSimulator.nodes) simulated devices, ports in \(dataDirectory)/lora-sim.json (a development stand-in for LoRa radios)")
        }
        lines += ["  data         \(dataDirectory)", "  CA           \(dataDirectory)/tls/ca.pem",
                  "  admin token  \(dataDirectory)/admin.token",
                  "Try: pakit add FILE   ('pakit status' in another terminal; Ctrl-C stops the node)"]
        say(lines.joined(separator: "\n"))
        await supervisor.superviseUntil(signals)
        say("stopping…")
        supervisor.stopAll()
        devChain?.stop()
        radioSimulator?.stop()
        state.remove()
        say("stopped")
    }

    /// Unbuffered, so the banner shows at once even when standard output is a file or pipe.
    func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A child's HTTPS port: the flag, else its variable, else its default (a free loopback port
    /// when `--port 0` asks for free ports).
    func servicePort(_ flag: Int?, variable: String, service: ServiceName, environment: [String: String]) throws -> Int {
        let chosen = try flag ?? environment[variable].map { text -> Int in
            guard let value = Int(text), (0...65535).contains(value) else { throw CLIError("\(variable) must be a port number") }
            return value
        } ?? (port == 0 ? 0 : service.defaultPort)
        return chosen == 0 ? try Self.freeLoopbackPort() : chosen
    }

    /// A port the kernel reports free on 127.0.0.1 right now (bound, read, released).
    static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIError("cannot create a socket to find a free port") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw CLIError("cannot find a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A service writes `<data>/<service>.url` once its server listens: that is its readiness
    /// probe here (a prover then derives development keys in the background; storage is ready).
    func waitUntilListening(_ child: ChildService, dataDirectory: String, supervisor: Supervisor) async throws {
        let path = "\(dataDirectory)/\(child.spec.service.rawValue).url"
        for _ in 0..<1200 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
                child.url = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return
            }
            if let failure = supervisor.failedToStart() { throw CLIError(failure) }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CLIError("\(child.spec.service.rawValue) did not start within 120 s; see its log above")
    }
}

/// The node's services as `pakit up` runs them, in start order: adding a service is one entry.
enum NodeServices {
    /// What the table's entries read.
    struct Options {
        var dataDirectory: String
        var storageHost: String?
        var storagePort: Int?
        var proverPort: Int?
        var startProver: Bool
        var gatewayPort: Int?
        var meshPort: Int?
        var meshHost: String?
        var seeds: String?
        var relayPort: Int?
        var chainURL: String?
        var radio: String?
        var radioTimeScale: Double?
        var loraPort: Int?
    }

    struct Spec: Sendable {
        let service: ServiceName
        let executable: String
        /// Services that must be listening before this one starts.
        let requires: [ServiceName]
        /// Printed after the URL in the banner.
        let note: String
        let enabled: @Sendable (Options) -> Bool
        let arguments: @Sendable (Options) -> [String]
        let environment: @Sendable (Options) -> [String: String]
    }

    /// `specs` ordered so that each comes after the enabled services it requires.
    static func startOrder(_ specs: [Spec]) throws -> [Spec] {
        let enabled = Set(specs.map(\.service))
        var ordered: [Spec] = []
        var remaining = specs
        while !remaining.isEmpty {
            let started = Set(ordered.map(\.service))
            guard let next = remaining.firstIndex(where: { spec in spec.requires.allSatisfy { !enabled.contains($0) || started.contains($0) } }) else {
                throw CLIError("the service table has a dependency cycle among \(remaining.map(\.service.rawValue).joined(separator: ", "))")
            }
            ordered.append(remaining.remove(at: next))
        }
        return ordered
    }

    static let table: [Spec] = [
        // First, so storage can be given its URL; without a chain it keeps submissions queued.
        Spec(service: .chainRelay, executable: "pakit-chain-relay", requires: [], note: "",
             enabled: { _ in true },
             arguments: { options in
                 ["--data-dir", options.dataDirectory, "--host", "127.0.0.1", "--port", "\(options.relayPort ?? ServiceName.chainRelay.defaultPort)"]
                     + (options.chainURL.map { ["--chain-url", $0] } ?? [])
             },
             environment: { _ in [:] }),
        Spec(service: .prover, executable: "pakit-prover", requires: [],
             note: " (first start: development keys are derived in the background, minutes for storage-batch-100)",
             enabled: { $0.startProver },
             arguments: { ["--data-dir", $0.dataDirectory, "--host", "127.0.0.1", "--port", "\($0.proverPort ?? ServiceName.prover.defaultPort)"] },
             environment: { _ in [:] }),
        Spec(service: .storage, executable: "pakit-storage", requires: [.prover, .chainRelay], note: "",
             enabled: { _ in true },
             // Unset options are left to the service, so its PAKIT_* environment applies.
             arguments: { ["--data-dir", $0.dataDirectory] + ($0.storageHost.map { ["--host", $0] } ?? [])
                 + ($0.storagePort.map { ["--port", "\($0)"] } ?? []) },
             environment: { options in
                 var environment = options.proverPort.map { ["PAKIT_STORAGE_PROVERS": "https://127.0.0.1:\($0)"] } ?? [:]
                 environment["PAKIT_STORAGE_CHAIN_RELAY"] = "https://127.0.0.1:\(options.relayPort ?? ServiceName.chainRelay.defaultPort)"
                 // Storage announces its pinned roots to the gateway (which starts after it; storage retries).
                 if let gateway = options.gatewayPort {
                     let host = options.storageHost.flatMap { ["0.0.0.0", "::"].contains($0) ? nil : $0 } ?? "127.0.0.1"
                     environment["PAKIT_STORAGE_MESH_GATEWAY"] = "https://\(host):\(gateway)"
                 }
                 return environment
             }),
        // After storage: it reads and stores blocks through storage's internal routes.
        Spec(service: .loraBridge, executable: "pakit-lora-bridge", requires: [.storage], note: "",
             enabled: { $0.radio != nil },
             arguments: { options in
                 ["--data-dir", options.dataDirectory, "--host", "127.0.0.1", "--port", "\(options.loraPort ?? ServiceName.loraBridge.defaultPort)",
                  "--radio", options.radio ?? ""] + (options.radioTimeScale.map { ["--radio-time-scale", "\($0)"] } ?? [])
             },
             environment: { _ in [:] }),
        // After storage: the gateway signs storage's URL (from <data>/storage.url) into its record.
        Spec(service: .meshGateway, executable: "pakit-mesh-gateway", requires: [.storage], note: "",
             enabled: { _ in true },
             arguments: { options in
                 ["--data-dir", options.dataDirectory, "--port", "\(options.gatewayPort ?? ServiceName.meshGateway.defaultPort)"]
                     + (options.storageHost.map { ["--host", $0] } ?? [])
                     + (options.meshPort.map { ["--mesh-port", "\($0)"] } ?? [])
                     + (options.meshHost.map { ["--mesh-host", $0] } ?? [])
                     + (options.seeds.map { ["--seeds", $0] } ?? [])
             },
             environment: { _ in [:] }),
    ]
}

/// What `pakit up` tells `pakit status`: `<data>/up.json`, rewritten on every start and restart.
final class UpState: @unchecked Sendable {
    let path: String
    let pid: Int32
    private let lock = NSLock()

    init(path: String, pid: Int32) {
        self.path = path
        self.pid = pid
    }

    func record(_ children: [ChildService]) {
        lock.withLock {
            let services = children.map { child in
                UpStatus.Service(name: child.spec.service.rawValue, pid: child.process.map { Int($0.processIdentifier) },
                                 url: child.url, restarts: child.totalRestarts)
            }
            let status = UpStatus(supervisor: Int(pid), services: services)
            if let data = try? JSONEncoder().encode(status) { try? AtomicFile.write([UInt8](data), to: path, mode: 0o644) }
        }
    }

    func remove() { unlink(path) }
}

/// The JSON of `up.json`.
struct UpStatus: Codable {
    struct Service: Codable {
        var name: String
        var pid: Int?
        var url: String?
        var restarts: Int
    }
    var supervisor: Int
    var services: [Service]
}

/// One supervised child process.
final class ChildService: @unchecked Sendable {
    let spec: NodeServices.Spec
    var name: String { spec.service.rawValue }
    let executable: String
    let arguments: [String]
    /// Variables set for this child on top of pakit's own environment.
    let environment: [String: String]
    var process: Process?
    /// Consecutive quick restarts (a crash loop gives up at 5).
    var restarts = 0
    /// Every restart since `pakit up` started, for `pakit status`.
    var totalRestarts = 0
    var lastStart = Date.distantPast
    var url: String?

    init(spec: NodeServices.Spec, executable: String, arguments: [String], environment: [String: String]) {
        self.spec = spec
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        try process.run()
        self.process = process
        lastStart = Date()
    }
}

/// Restarts children that exit unexpectedly; a child that dies within 2 s of each of 5
/// consecutive starts is given up on (its configuration is wrong, restarting will not help).
final class Supervisor: @unchecked Sendable {
    let children: [ChildService]
    let state: UpState
    private var gaveUp: String?

    init(children: [ChildService], state: UpState) {
        self.children = children
        self.state = state
    }

    func failedToStart() -> String? {
        for child in children {
            if let process = child.process, !process.isRunning, Date().timeIntervalSince(child.lastStart) < 5 {
                return "\(child.name) exited with status \(process.terminationStatus) during start-up; see its log above"
            }
        }
        return gaveUp
    }

    func superviseUntil(_ signals: SignalWatcher) async {
        while !signals.received {
            for child in children {
                guard let process = child.process, !process.isRunning else { continue }
                let quick = Date().timeIntervalSince(child.lastStart) < 2
                child.restarts = quick ? child.restarts + 1 : 0
                if child.restarts >= 5 {
                    FileHandle.standardError.write(Data("pakit: \(child.name) keeps failing; not restarting it\n".utf8))
                    gaveUp = "\(child.name) keeps failing"
                    child.process = nil
                    continue
                }
                FileHandle.standardError.write(Data("pakit: \(child.name) exited (status \(process.terminationStatus)); restarting\n".utf8))
                try? await Task.sleep(for: .milliseconds(200 * (1 << min(child.restarts, 4))))
                try? child.start()
                child.totalRestarts += 1
                state.record(children)
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// SIGTERM to each child, then wait (up to 30 s) for in-flight work to finish; SIGKILL after,
    /// and wait for the killed child to be reaped, so none outlives `pakit up` (a child busy past
    /// the deadline, a prover deriving keys on a loaded machine, was seen still there).
    func stopAll() {
        for child in children { if let process = child.process, process.isRunning { process.terminate() } }
        let deadline = Date().addingTimeInterval(30)
        for child in children {
            guard let process = child.process else { continue }
            while process.isRunning && Date() < deadline { usleep(50_000) }
            guard process.isRunning else { continue }
            kill(process.processIdentifier, SIGKILL)
            let reaped = Date().addingTimeInterval(10)
            while process.isRunning && Date() < reaped { usleep(20_000) }
        }
    }
}

/// Turns SIGINT/SIGTERM into a flag the supervisor loop checks.
final class SignalWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var flag = false

    var received: Bool { lock.withLock { flag } }

    init(signals: [Int32]) {
        for signalNumber in signals {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.lock.withLock { self?.flag = true } }
            source.resume()
            sources.append(source)
        }
    }
}

/// `pakit up --devchain`: tools/devchain/devchain.py (a development stand-in for a BelizeChain
/// node, not a node) beside the node, 1 s blocks finalized 2 behind, the relay's account
/// endowed with 1,000 DALLA and given KYC level 1 (Bns names need it). Found from the build (`.build/<configuration>/pakit` in a checkout).
final class DevChainChild: @unchecked Sendable {
    let process: Process
    let url: String

    private init(process: Process, url: String) {
        self.process = process
        self.url = url
    }

    static func start(dataDirectory: String, endow: [String]) async throws -> DevChainChild {
        for entry in endow {
            let parts = entry.split(separator: "=")
            guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit), UInt64(parts[1]) != nil else {
                throw CLIError("--devchain-endow takes ACCOUNT_HEX=PLANCK (64 hex digits, a whole number), not '\(entry.prefix(100))'")
            }
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var script: String?
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("tools/devchain/devchain.py").path
            if FileManager.default.fileExists(atPath: candidate) { script = candidate; break }
            directory.deleteLastPathComponent()
        }
        guard let script else {
            throw CLIError("--devchain needs a Pakit checkout (tools/devchain/devchain.py beside the build); it is a development stand-in, not shipped")
        }
        let account = try NodeIdentity.loadOrCreate(file: NodeIdentity.chainRelayKeyPath(dataDirectory: dataDirectory)).publicKey.rawRepresentation
        let urlFile = "\(dataDirectory)/devchain.url"
        try? FileManager.default.removeItem(atPath: urlFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let accountHex = account.map { String(format: "%02x", $0) }.joined()
        // KYC level 1 for the relay's account: Bns registration needs it on the runtime too.
        process.arguments = ["python3", script, "--url-file", urlFile, "--block-ms", "1000", "--finality-lag", "2",
                             "--endow", "\(accountHex)=\(1_000 * 1_000_000_000_000)", "--kyc", accountHex] + endow.flatMap { ["--endow", $0] }
        try process.run()
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: urlFile, encoding: .utf8), !text.isEmpty {
                return DevChainChild(process: process, url: text.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            guard process.isRunning else {
                throw CLIError("the dev chain exited with status \(process.terminationStatus); run 'bash tests/compat/install.sh' for its Python packages")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw CLIError("the dev chain did not start within 60 s")
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// `pakit up --radio-sim N`: `pakit-lora-sim` (tools/lora-sim, a development stand-in for LoRa
/// radios) beside the node, N devices in a line; its ready line (every device's node number and
/// port) is kept in `<data>/lora-sim.json`.
final class LoRaSimChild: @unchecked Sendable {
    let process: Process
    let nodes: Int
    let firstPort: Int

    private init(process: Process, nodes: Int, firstPort: Int) {
        self.process = process
        self.nodes = nodes
        self.firstPort = firstPort
    }

    static func start(executable: String, dataDirectory: String, nodes: Int, speed: Double, preset: String) async throws -> LoRaSimChild {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw CLIError("cannot find \(executable); build it with 'swift build' (it sits next to pakit)")
        }
        let readyFile = "\(dataDirectory)/lora-sim.json"
        try? FileManager.default.removeItem(atPath: readyFile)
        FileManager.default.createFile(atPath: readyFile, contents: nil, attributes: [.posixPermissions: 0o644])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--nodes", "\(nodes)", "--speed", "\(speed)", "--preset", preset]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: readyFile))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        struct Ready: Decodable {
            struct Node: Decodable { var port: Int }
            var nodes: [Node]
        }
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: readyFile, encoding: .utf8), let line = text.split(separator: "\n").first,
               let ready = try? JSONDecoder().decode(Ready.self, from: Data(line.utf8)), let first = ready.nodes.first {
                return LoRaSimChild(process: process, nodes: ready.nodes.count, firstPort: first.port)
            }
            guard process.isRunning else { throw CLIError("the radio simulator exited with status \(process.terminationStatus)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw CLIError("the radio simulator did not start within 30 s")
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
