import Foundation

/// What a finished child process printed and how it exited.
struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `executable` to completion, capturing both output streams (read concurrently, so a
/// chatty child never blocks on a full pipe).
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
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
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr.data, as: UTF8.self))
}

/// A product built beside the test bundle (`swift build` builds them; tests/run-all.sh does).
func sibling(_ name: String) throws -> String {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path,
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/.build/debug",
    ]
    for directory in candidates where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
        return "\(directory)/\(name)"
    }
    throw TestFailure("\(name) is not built; run 'swift build' first (tests/run-all.sh does)")
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}
