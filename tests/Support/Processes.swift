import Foundation

/// What a finished child process printed and how it exited.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: Data
    public let stderr: String

    /// Standard output as text.
    public var output: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs blocking work on a thread of its own and awaits its result. A test that waits on a
/// child process must never hold a thread of the cooperative pool (two on a 2-core machine):
/// the in-process servers of every other test, and often the very child it waits for, need
/// those threads to answer.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Runs `executable` to completion, capturing both output streams (read concurrently, so a
/// chatty child never blocks on a full pipe), off the cooperative pool.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> ProcessResult {
    try await offPool { try runProcessBlocking(executable, arguments, environment: environment) }
}

/// `runProcess` on the calling thread. Only for quick system commands (`ip`, in set-up and
/// `defer` blocks) that never wait on a server of this process.
public func runProcessBlocking(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let errorsRead = DispatchGroup()
    let stderr = DataBox()
    errorsRead.enter()
    DispatchQueue.global().async {
        stderr.data = errors.fileHandleForReading.readDataToEndOfFile()
        errorsRead.leave()
    }
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    errorsRead.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr.data, as: UTF8.self))
}

extension Process {
    /// Waits until the process has exited and been reaped, checking every 20 ms. Not
    /// `waitUntilExit` on a thread of its own: on Linux it spins a run loop that has nothing
    /// to wait on, a whole core for as long as the child runs. Returns early when cancelled.
    public func exited() async {
        while isRunning {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
    }

    /// SIGTERM, then waits for the exit.
    public func terminated() async {
        if isRunning { terminate() }
        await exited()
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// The package's executables, built beside the test bundle (`swift build` builds them; the
/// test script does).
public enum BuiltProduct {
    public static func path(_ name: String) throws -> String {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        for directory in [bundleDirectory, root + "/.build/release", root + "/.build/debug"]
        where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw TestFailure("\(name) is not built; run 'swift build' first (tests/run-all.sh does)")
    }
}

/// Spawning a service executable and waiting for it: the one way every suite does it.
public enum ServiceProcess {
    /// Starts `executable` with `arguments` (output discarded unless `output` is given).
    public static func launch(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                              output: FileHandle? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = output ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits while `process` runs until the file at `path` (a service's `<service>.url`, written
    /// once it listens) has content; returns it trimmed. Fails when the process exits first or
    /// after `timeout`, so a broken start fails its test instead of hanging the run.
    public static func waitForFile(_ path: String, while process: Process, timeout: Duration = .seconds(300)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { throw TestFailure("\(path) was not written within \(timeout)") }
        throw TestFailure("\(process.executableURL?.lastPathComponent ?? "process") exited with status \(process.terminationStatus) before writing \(path)")
    }

    /// SIGKILL and reap.
    public static func kill(_ process: Process) {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGKILL of a supervisor's children, then of the supervisor, so none of them outlives it
    /// (a `pakit up` killed alone would leave its services running).
    public static func killTree(_ process: Process) {
        guard process.isRunning else { return }
        for child in children(of: process.processIdentifier) { Foundation.kill(child, SIGKILL) }
        kill(process)
    }

    /// The child processes of `pid` (from /proc).
    public static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// A process's command line, arguments joined by spaces (from /proc).
    public static func commandLine(of pid: Int32) -> String {
        let bytes = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }

    /// A process's environment (from /proc).
    public static func environment(of pid: Int32) -> [String: String] {
        let bytes = FileManager.default.contents(atPath: "/proc/\(pid)/environ") ?? Data()
        var result: [String: String] = [:]
        for entry in bytes.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return result
    }
}
