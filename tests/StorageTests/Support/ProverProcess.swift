import AsyncHTTPClient
import Foundation
import NIOCore
import PakitHTTPClient
import PakitTLS
import PakitTestSupport

/// A real `pakit-prover` process (built beside the tests by `swift build`) serving
/// `storage-single` and `storage-batch-3`, with a certificate issued by a node's CA so storage
/// can call it over mutual TLS. Every prover of a test run loads the same development keys.
final class ProverProcess: Sendable {
    let process: Process
    let name: String
    let url: String
    let dataDirectory: String

    static let circuits = "storage-single,storage-batch-3"

    fileprivate init(process: Process, name: String, url: String, dataDirectory: String) {
        self.process = process
        self.name = name
        self.url = url
        self.dataDirectory = dataDirectory
    }

    /// Starts a prover named `name` whose certificate comes from the CA in `caDirectory` (a
    /// node's `<data>/tls`, created if absent), and waits until it listens.
    static func start(name: String, caDirectory: String) async throws -> ProverProcess {
        let keys = try await SharedProverKeys.shared.directory()
        let paths = try LocalCertificateAuthority.loadOrCreate(in: caDirectory).certificate(for: "prover-\(name)")
        let data = NSTemporaryDirectory() + "pakit-prover-\(UUID().uuidString)"
        let process = try launch(data: data, keys: keys, extra: [
            "--instance", name, "--tls-ca", paths.caCertificate, "--tls-cert", paths.certificate, "--tls-key", paths.privateKey,
        ])
        do {
            let url = try await waitForURL(data: data, process: process)
            return ProverProcess(process: process, name: name, url: url, dataDirectory: data)
        } catch {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw error
        }
    }

    static func launch(data: String, keys: String, extra: [String]) throws -> Process {
        // What `pakit init` issues; ignored when `extra` names other TLS files.
        try NodeCertificates.issue(in: "\(data)/tls", identities: ["prover"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltProduct.path("pakit-prover"))
        process.arguments = ["--data-dir", data, "--port", "0", "--circuits", circuits, "--keys-dir", keys, "--log-level", "warning"] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func waitForURL(data: String, process: Process) async throws -> String {
        try await ServiceProcess.waitForFile("\(data)/prover.url", while: process, timeout: .seconds(120))
    }

    /// Polls `GET /ready` (mutual TLS with `client`) until the prover has every key.
    func waitUntilReady(_ client: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw TestFailure("prover \(name) exited with status \(process.terminationStatus)") }
            if let response = try? await client.execute(HTTPClientRequest(url: url + "/ready"), timeout: .seconds(10)) {
                _ = try? await response.body.collect(upTo: 1 << 16)
                if response.status == .ok { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("prover \(name) was not ready within 300 s")
    }

    /// SIGKILL, as a crash.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        kill()
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

/// Starts provers for a test and always stops them.
func withProvers<T>(_ names: [String], caDirectory: String, _ body: ([ProverProcess]) async throws -> T) async throws -> T {
    var provers: [ProverProcess] = []
    do {
        for name in names { provers.append(try await ProverProcess.start(name: name, caDirectory: caDirectory)) }
        let result = try await body(provers)
        for prover in provers { prover.stop() }
        return result
    } catch {
        for prover in provers { prover.stop() }
        throw error
    }
}

/// The development keys of the test circuits, derived once per test process by one prover
/// (seconds of setup) and then loaded from the shared keys directory by every other prover.
actor SharedProverKeys {
    static let shared = SharedProverKeys()
    static let path = NSTemporaryDirectory() + "pakit-test-prover-keys-\(getpid())"
    private var derivation: Task<String, any Error>?

    func directory() async throws -> String {
        if derivation == nil {
            derivation = Task { try await Self.derive() }
        }
        guard let derivation else { throw TestFailure("unreachable") }
        return try await derivation.value
    }

    private static func derive() async throws -> String {
        atexit { try? FileManager.default.removeItem(atPath: SharedProverKeys.path) }
        let data = NSTemporaryDirectory() + "pakit-prover-keys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let process = try ProverProcess.launch(data: data, keys: path, extra: ["--instance", "keys"])
        defer {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        // Ready means every key is derived and cached in the keys directory.
        let url = try await ProverProcess.waitForURL(data: data, process: process)
        let client = ServiceClient.make(tls: try LocalCertificateAuthority.loadOrCreate(in: "\(data)/tls")
            .certificate(for: "test").clientConfiguration())
        do {
            try await ProverProcess(process: process, name: "keys", url: url, dataDirectory: data).waitUntilReady(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
        return path
    }
}
