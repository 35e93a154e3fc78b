import ArgumentParser
import Foundation
import PakitContracts
import PakitIdentity
import PakitTLS

/// `pakit up`: a whole node on embedded defaults (SQLite, local CA, data in ./.pakit). It runs
/// the node's service executables as child processes (storage, then one prover whose URL
/// storage gets as `PAKIT_STORAGE_PROVERS`), restarts one that dies (with back-off), and on
/// Ctrl-C or SIGTERM stops them all gracefully.
struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a node on this machine (embedded defaults).")

    @Option(name: .long, help: "Node data directory (default: $PAKIT_DATA_DIR or ./.pakit).")
    var data: String?

    @Option(name: .long, help: "Storage HTTPS port (default: $PAKIT_STORAGE_PORT or 7070; 0 = any free port).")
    var port: Int?

    @Option(name: .long, help: "Address to listen on (default: $PAKIT_STORAGE_HOST or 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Prover HTTPS port on 127.0.0.1 (default: $PAKIT_PROVER_PORT, else 7072, or a free port when --port is 0).")
    var proverPort: Int?

    @Flag(name: .long, help: "Start no prover (also the case when PAKIT_STORAGE_PROVERS names provers elsewhere).")
    var noProver = false

    func run() async throws {
        let dataDirectory = URL(fileURLWithPath: data ?? ProcessInfo.processInfo.environment["PAKIT_DATA_DIR"] ?? "./.pakit").standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Keys and certificates first, so the children (and the CLI) find them.
        _ = try LocalCertificateAuthority.loadOrCreate(in: "\(dataDirectory)/tls")
        _ = try NodeIdentity.loadOrCreate(in: "\(dataDirectory)/keys")
        try? FileManager.default.removeItem(atPath: "\(dataDirectory)/storage.url")

        let executables = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        let storage = ChildService(
            name: ServiceName.storage.rawValue, executable: "\(executables)/pakit-storage",
            // Unset options are left to the service, so its PAKIT_* environment applies.
            arguments: ["--data-dir", dataDirectory] + (host.map { ["--host", $0] } ?? []) + (port.map { ["--port", "\($0)"] } ?? []))
        var children = [storage]
        // The prover listens on a port fixed before anything starts, so storage is given its
        // URL once and a restarted prover comes back at the same address.
        var proverURL: String?
        let environment = ProcessInfo.processInfo.environment
        if !noProver && (environment["PAKIT_STORAGE_PROVERS"] ?? "").isEmpty {
            var chosen = try proverPort ?? environment["PAKIT_PROVER_PORT"].map { text -> Int in
                guard let value = Int(text), (0...65535).contains(value) else { throw CLIError("PAKIT_PROVER_PORT must be a port number") }
                return value
            } ?? (port == 0 ? 0 : ServiceName.prover.defaultPort)
            if chosen == 0 { chosen = try Self.freeLoopbackPort() }
            let url = "https://127.0.0.1:\(chosen)"
            children.append(ChildService(
                name: ServiceName.prover.rawValue, executable: "\(executables)/pakit-prover",
                arguments: ["--data-dir", dataDirectory, "--host", "127.0.0.1", "--port", "\(chosen)"]))
            storage.environment = ["PAKIT_STORAGE_PROVERS": url]
            proverURL = url
        }
        for child in children where !FileManager.default.isExecutableFile(atPath: child.executable) {
            throw CLIError("cannot find \(child.executable); build it with 'swift build' (it sits next to pakit)")
        }
        let supervisor = Supervisor(children: children)
        let signals = SignalWatcher(signals: [SIGINT, SIGTERM])
        try supervisor.startAll()
        let url: String
        do {
            url = try await waitForURL(at: "\(dataDirectory)/storage.url", supervisor: supervisor)
        } catch {
            supervisor.stopAll()
            throw error
        }
        let prover = proverURL.map { "\($0) (first start: development keys are derived in the background, minutes for storage-batch-100)" }
            ?? (environment["PAKIT_STORAGE_PROVERS"].flatMap { $0.isEmpty ? nil : $0 } ?? "none")
        say("""
        Pakit node is up.
          storage     \(url)
          prover      \(prover)
          data        \(dataDirectory)
          CA          \(dataDirectory)/tls/ca.pem
          admin token \(dataDirectory)/admin.token
        Try: pakit add FILE   (Ctrl-C stops the node)
        """)
        await supervisor.superviseUntil(signals)
        say("stopping…")
        supervisor.stopAll()
        say("stopped")
    }

    /// Unbuffered, so the banner shows at once even when standard output is a file or pipe.
    func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
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
        guard bound else { throw CLIError("cannot find a free port for the prover") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func waitForURL(at path: String, supervisor: Supervisor) async throws -> String {
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let failure = supervisor.failedToStart() { throw CLIError(failure) }
            try await Task.sleep(for: .milliseconds(100))
        }
        supervisor.stopAll()
        throw CLIError("the storage service did not start within 60 s; see its log above")
    }
}

/// One supervised child process.
final class ChildService: @unchecked Sendable {
    let name: String
    let executable: String
    let arguments: [String]
    /// Variables set for this child on top of pakit's own environment.
    var environment: [String: String] = [:]
    var process: Process?
    var restarts = 0
    var lastStart = Date.distantPast

    init(name: String, executable: String, arguments: [String]) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
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
    private var gaveUp: String?

    init(children: [ChildService]) { self.children = children }

    func startAll() throws {
        for child in children { try child.start() }
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
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// SIGTERM to each child, then wait (up to 30 s) for in-flight work to finish; SIGKILL after.
    func stopAll() {
        for child in children { if let process = child.process, process.isRunning { process.terminate() } }
        let deadline = Date().addingTimeInterval(30)
        for child in children {
            guard let process = child.process else { continue }
            while process.isRunning && Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
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
