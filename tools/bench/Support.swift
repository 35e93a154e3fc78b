import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import PakitCore
import PakitHTTPClient

/// One line of the report: the figure, what bounds it, the target, and whether it was met.
struct Report {
    static func header(_ title: String) {
        say("\n== \(title)")
    }

    static func line(_ name: String, _ value: String, reference: String? = nil, target: String? = nil, met: Bool? = nil) {
        var text = "  \(name): \(value)"
        if let reference { text += "   [\(reference)]" }
        if let target { text += "   target \(target)" }
        if let met { text += met ? "   MET" : "   MISSED" }
        say(text)
    }

    static func mbps(_ bytes: Int, _ duration: Duration) -> Double {
        Double(bytes) / 1_000_000 / duration.seconds
    }
}

/// A figure that varies from run to run: every run's value, reported as the median with the
/// minimum and maximum. Ratios between figures use the medians.
struct Spread {
    let values: [Double]

    init(_ values: [Double]) { self.values = values }

    /// The middle value (the mean of the two middle ones for an even count).
    var median: Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    var min: Double { values.min() ?? .nan }
    var max: Double { values.max() ?? .nan }

    /// "225 MB/s (median of 3; min 210, max 230)"; `format` is a printf format for one value.
    func text(_ format: String, _ unit: String) -> String {
        let value = { (number: Double) in String(format: format, number) }
        let suffix = unit.isEmpty ? "" : " \(unit)"
        guard values.count > 1 else { return "\(value(median))\(suffix) (1 run)" }
        return "\(value(median))\(suffix) (median of \(values.count); min \(value(min)), max \(value(max)))"
    }
}

/// Unbuffered output: a long benchmark shows each figure as soon as it is measured.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}


/// Writes `size` pseudo-random bytes to `path`.
func writeRandomFile(_ path: String, size: Int, seed: UInt64) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
        throw BenchError("cannot create \(path)")
    }
    var random = SplitMix64(seed: seed)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var written = 0
    while written < size {
        random.fill(&buffer)
        let n = min(buffer.count, size - written)
        try handle.write(contentsOf: Data(buffer[0..<n]))
        written += n
    }
    try handle.close()
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command and returns its standard output; throws with its standard error on failure.
/// `detached` is for commands that leave a daemon behind (pg_ctl start): their output goes to
/// /dev/null, since the daemon would hold it open for ever.
///
/// posix_spawn and waitpid, with output in temporary files: Foundation's `Process` was seen
/// never to report a child's exit on Linux (`waitUntilExit` spinning a core on a zombie).
@discardableResult
func runCommand(_ arguments: [String], detached: Bool = false) throws -> String {
    let stem = NSTemporaryDirectory() + "pakit-bench-command-\(UUID().uuidString.prefix(8))"
    let (outputPath, errorPath) = detached ? ("/dev/null", "/dev/null") : (stem + ".out", stem + ".err")
    defer {
        if !detached {
            unlink(outputPath)
            unlink(errorPath)
        }
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var argv: [UnsafeMutablePointer<CChar>?] = (["/usr/bin/env"] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    // A clean signal state: the calling thread's blocked signals would be inherited (pgbench
    // -T never ends when its SIGALRM stays blocked).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, &argv, environ) == 0 else {
        throw BenchError("cannot start \(arguments[0])")
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let output = detached ? "" : ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    guard status == 0 else {
        let errors = detached ? "" : ((try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
        throw BenchError("\(arguments.joined(separator: " ")) failed (status \(status)): \(errors.prefix(500))")
    }
    return output
}


/// The real `pakit-storage` executable (from the same build) as a child process.
final class StorageServer {
    let process = Process()
    let dataDirectory: String
    var url = ""

    init(executable: String, dataDirectory: String, databaseURL: String?) throws {
        self.dataDirectory = dataDirectory
        try Self.initialise(dataDirectory: dataDirectory, storageExecutable: executable)
        try? FileManager.default.removeItem(atPath: "\(dataDirectory)/storage.url")
        process.executableURL = URL(fileURLWithPath: executable)
        var arguments = ["--data-dir", dataDirectory, "--port", "0", "--log-level", "warning"]
        if let databaseURL { arguments += ["--database-url", databaseURL] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// The service refuses to start without the node's certificates: issues them once with
    /// `pakit init --data D` (the `pakit` executable beside `pakit-storage`). Skipped when they
    /// exist already, so a restart figure does not include it.
    static func initialise(dataDirectory: String, storageExecutable: String) throws {
        guard !FileManager.default.isReadableFile(atPath: "\(dataDirectory)/tls/storage.pem") else { return }
        let pakit = URL(fileURLWithPath: storageExecutable).deletingLastPathComponent().appendingPathComponent("pakit").path
        guard FileManager.default.isExecutableFile(atPath: pakit) else {
            throw BenchError("\(pakit) not found: build it first (swift build -c release)")
        }
        try runCommand([pakit, "init", "--data", dataDirectory])
    }

    /// Waits until the server is listening; returns the time since it was spawned.
    func waitUntilListening(since start: ContinuousClock.Instant) async throws -> Duration {
        while process.isRunning {
            if let text = try? String(contentsOfFile: "\(dataDirectory)/storage.url", encoding: .utf8), !text.isEmpty {
                url = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return ContinuousClock.now - start
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw BenchError("pakit-storage exited with status \(process.terminationStatus)")
    }

    /// Peak resident memory of the server so far (VmHWM), in bytes.
    var peakRSS: Int { ProcFS.memoryKiB(process.processIdentifier, "VmHWM") * 1024 }

    /// CPU time (user + system, all threads, live and exited) the server process has used so far.
    func cpuSeconds() throws -> Double { try ProcFS.cpuSeconds(process.processIdentifier) }

    /// SIGTERM, then SIGKILL if the server has not exited after `grace` (a hung graceful
    /// shutdown must not stall the benchmark; it is reported). Polls instead of
    /// `waitUntilExit`, which spins a core on Linux when called off the main thread.
    func stop(grace: Duration = .seconds(15)) {
        guard process.isRunning else { return }
        process.terminate()
        guard !waitForExit(within: grace) else { return }
        say("  warning: pakit-storage (pid \(process.processIdentifier)) still running \(grace) after SIGTERM: sent SIGKILL")
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(within: .seconds(10))
    }

    private func waitForExit(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    /// A client of this server: one attempt per request (a retry would distort the figures).
    func client(http1Only: Bool) throws -> ServiceClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(dataDirectory)/tls/ca.pem"))
        return ServiceClient(tls: tls, http1Only: http1Only, retry: .noRetries)
    }

    var adminToken: String {
        (try? String(contentsOfFile: "\(dataDirectory)/admin.token", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
}

/// A throwaway PostgreSQL cluster for the metadata figures (same recipe as tests/run-all.sh),
/// unless PAKIT_BENCH_POSTGRES_URL names one.
final class ThrowawayPostgres {
    let url: String
    private let directory: String?
    private let binaries: String?

    init() throws {
        if let url = ProcessInfo.processInfo.environment["PAKIT_BENCH_POSTGRES_URL"] {
            self.url = url
            directory = nil
            binaries = nil
            return
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted().last else { throw BenchError("PostgreSQL is not installed (apt-get install postgresql)") }
        let bin = "/usr/lib/postgresql/\(version)/bin"
        let directory = NSTemporaryDirectory() + "pakit-bench-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try runCommand(["chown", "postgres:postgres", directory])
        let port = 56000 + Int.random(in: 0..<900)
        try runCommand(["runuser", "-u", "postgres", "--", "\(bin)/initdb", "-D", "\(directory)/data", "-A", "trust", "-U", "postgres", "--no-sync"])
        // Production durability settings (fsync on): the figures must mean what a node gets.
        try runCommand(["runuser", "-u", "postgres", "--", "\(bin)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/log", "-w",
                 "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "start"], detached: true)
        try runCommand(["\(bin)/psql", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-qc", "CREATE DATABASE bench"])
        url = "postgres://postgres@127.0.0.1:\(port)/bench"
        self.directory = directory
        binaries = bin
    }

    func stop() {
        guard let directory, let binaries else { return }
        _ = try? runCommand(["runuser", "-u", "postgres", "--", "\(binaries)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "stop"], detached: true)
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// What /proc says about a process: the one reader of it in the benchmarks.
enum ProcFS {
    /// CPU time (user + system, all threads, live and exited) of `pid` so far: fields 14 and 15
    /// of /proc/PID/stat, in clock ticks.
    static func cpuSeconds(_ pid: Int32) throws -> Double {
        let path = "/proc/\(pid)/stat"
        // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8), let end = stat.lastIndex(of: ")") else {
            throw BenchError("cannot read \(path)")
        }
        let fields = stat[stat.index(after: end)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]), ticks > 0 else {
            throw BenchError("unexpected \(path): \(stat.prefix(200))")
        }
        return (user + system) / ticks
    }

    /// A memory line of /proc/PID/status (`VmHWM`, `VmRSS`) in KiB; 0 when unreadable.
    static func memoryKiB(_ pid: Int32, _ field: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kib
    }
}
