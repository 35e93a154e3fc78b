import Foundation
import PakitTestSupport
import Testing

/// The `pakit` command line end to end: `pakit up` supervising the real service, every client
/// command as a separate process, restart of a killed service, clean stop on SIGTERM.
@Suite("pakit CLI")
struct CLITests {
    @Test("pakit up runs a node; add, cat, get, pin, stat, car, gc, token, share and verify work against it")
    func endToEnd() async throws {
        let data = NSTemporaryDirectory() + "pakit-cli-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let up = Process()
        up.executableURL = URL(fileURLWithPath: try BuiltProduct.path("pakit"))
        up.arguments = ["up", "--data", data, "--port", "0"]
        up.standardOutput = FileHandle.nullDevice
        up.standardError = FileHandle.nullDevice
        try up.run()
        defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
        _ = try await Self.waitForURL(data, while: up)
        #expect(Self.mode(of: "\(data)/tls/ca-key.pem") == 0o600)
        #expect(Self.mode(of: "\(data)/admin.token") == 0o600)
        #expect(Self.mode(of: "\(data)/keys/node-ed25519.key") == 0o600)

        let file = "\(data)/report.bin"
        let bytes = randomBytes(1_500_000, seed: 8)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let cid = try await Self.pakit(["add", "-q", file], data: data).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(cid.hasPrefix("bafy"))
        #expect(try await Self.pakitBytes(["cat", cid], data: data) == bytes)
        _ = try await Self.pakit(["get", cid, "-o", "\(data)/copy.bin"], data: data)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(data)/copy.bin"))) == bytes)
        #expect(try await Self.pakit(["pin", "ls"], data: data).contains(cid))
        #expect(try await Self.pakit(["stat", cid], data: data).contains("size:"))
        _ = try await Self.pakit(["car", "export", cid, "-o", "\(data)/x.car"], data: data)
        _ = try await Self.pakit(["pin", "rm", cid], data: data)
        #expect(try await Self.pakit(["gc"], data: data).contains("removed 3 blocks"))
        #expect(try await Self.pakit(["car", "import", "\(data)/x.car"], data: data).contains(cid))
        #expect(try await Self.pakitBytes(["cat", cid], data: data) == bytes)
        #expect(try await Self.pakit(["token", "create", "--name", "app", "--scope", "read,write"], data: data).hasPrefix("pakit_"))
        let link = try await Self.pakit(["share", cid, "--expires", "600"], data: data)
        #expect(link.contains("/v1/files/\(cid)?expires=") && link.contains("&sig="))
        #expect(try await Self.pakit(["verify"], data: data).contains("0 missing, 0 corrupt"))
        try Data("one block".utf8).write(to: URL(fileURLWithPath: "\(data)/block.bin"))
        let blockCID = try await Self.pakit(["block", "put", "\(data)/block.bin"], data: data).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(blockCID.hasPrefix("bafkrei"))
        #expect(try await Self.pakitBytes(["block", "get", blockCID], data: data) == Array("one block".utf8))
        #expect(try await Self.pakit(["stats"], data: data).contains("logical bytes: \(bytes.count)"))

        // Bad input: one clear line and a non-zero exit.
        let failure = try await Self.run(["cat", "notacid", "--data", data])
        #expect(failure.status != 0)
        #expect(failure.stderr.contains("not a valid CID"))
        #expect(failure.stderr.split(separator: "\n").count == 1)

        // `pakit status` names every service with its URL, pid, readiness and restarts.
        let storageURL = try String(contentsOfFile: "\(data)/storage.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let status = try await Self.pakit(["status"], data: data)
        let storageRow = try #require(status.split(separator: "\n").first { $0.hasPrefix("storage ") }, "\(status)")
        #expect(storageRow.contains(storageURL) && storageRow.contains(" ready ") && storageRow.hasSuffix(" 0"), "\(storageRow)")
        #expect(status.split(separator: "\n").contains { $0.hasPrefix("prover ") }, "\(status)")

        // A service that dies is restarted, and status counts the restart.
        let child = try #require(ServiceProcess.children(of: up.processIdentifier).first { ServiceProcess.commandLine(of: $0).contains("pakit-storage") })
        try? FileManager.default.removeItem(atPath: "\(data)/storage.url")
        kill(child, SIGKILL)
        _ = try await Self.waitForURL(data, while: up)
        #expect(try await Self.pakitBytes(["cat", cid], data: data) == bytes)
        let restartedRow = try #require(try await Self.pakit(["status"], data: data).split(separator: "\n").first { $0.hasPrefix("storage ") })
        #expect(restartedRow.hasSuffix(" 1"), "\(restartedRow)")
        #expect(!restartedRow.contains(" \(child) "), "the restarted storage has a new pid: \(restartedRow)")

        // SIGTERM stops everything cleanly.
        let restarted = ServiceProcess.children(of: up.processIdentifier)
        await up.terminated()
        #expect(up.terminationStatus == 0)
        for pid in restarted { #expect(kill(pid, 0) != 0, "child \(pid) outlived pakit up") }
    }

    /// Waits for storage's URL file while `pakit up` runs.
    static func waitForURL(_ data: String, while process: Process) async throws -> String {
        try await ServiceProcess.waitForFile("\(data)/storage.url", while: process)
    }

    static func mode(of path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
    }

    static func run(_ arguments: [String]) async throws -> ProcessResult {
        try await runProcess(try BuiltProduct.path("pakit"), arguments)
    }

    static func pakitBytes(_ arguments: [String], data: String) async throws -> [UInt8] {
        let result = try await run(arguments + ["--data", data])
        guard result.status == 0 else { throw TestFailure("pakit \(arguments.joined(separator: " ")): \(result.stderr)") }
        return [UInt8](result.stdout)
    }

    static func pakit(_ arguments: [String], data: String) async throws -> String {
        String(decoding: try await pakitBytes(arguments, data: data), as: UTF8.self)
    }
}
