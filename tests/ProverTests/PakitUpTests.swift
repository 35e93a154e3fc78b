import AsyncHTTPClient
import Foundation
import NIOCore
import PakitContracts
import PakitHTTPClient
import PakitTLS
import PakitTestSupport
import Testing

extension ProverServiceTests {
    @Suite("pakit up")
    struct PakitUp {
        @Test("pakit up starts storage and one prover, gives storage the prover's URL, and stops both on SIGTERM")
        func upStartsProver() async throws {
            let data = NSTemporaryDirectory() + "pakit-up-prover-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: data) }
            let up = Process()
            up.executableURL = URL(fileURLWithPath: try BuiltProduct.path("pakit"))
            up.arguments = ["up", "--data", data, "--port", "0"]
            // One small circuit whose keys the test run already has: no setup in this test.
            var environment = ProcessInfo.processInfo.environment
            environment["PAKIT_PROVER_CIRCUITS"] = "storage-single"
            environment["PAKIT_PROVER_KEYS_DIR"] = try await SharedKeys.directory
            environment["PAKIT_STORAGE_PROVERS"] = nil
            environment["PAKIT_PROVER_PORT"] = nil
            up.environment = environment
            up.standardOutput = FileHandle.nullDevice
            up.standardError = FileHandle.nullDevice
            try up.run()
            defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }

            let storageURL = try await ServiceProcess.waitForFile("\(data)/storage.url", while: up)
            let proverURL = try await ServiceProcess.waitForFile("\(data)/prover.url", while: up)
            #expect(proverURL.hasPrefix("https://127.0.0.1:"))
            #expect(storageURL != proverURL)

            let children = ServiceProcess.children(of: up.processIdentifier)
            let storage = try #require(children.first { ServiceProcess.commandLine(of: $0).contains("pakit-storage") })
            let prover = try #require(children.first { ServiceProcess.commandLine(of: $0).contains("pakit-prover") })
            #expect(ServiceProcess.environment(of: storage)["PAKIT_STORAGE_PROVERS"] == proverURL)
            #expect(ServiceProcess.commandLine(of: prover).contains(String(proverURL.split(separator: ":").last ?? "")))

            let client = ServiceClient.make(tls: try LocalCertificateAuthority.loadOrCreate(in: "\(data)/tls")
                .certificate(for: "cli").clientConfiguration())
            do {
                let response = try await client.execute(HTTPClientRequest(url: proverURL + "/health"), timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 16)
                #expect(response.status == .ok)
                #expect(try JSONDecoder().decode(HealthResponse.self, from: Data(buffer: body)).service == "prover")
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()

            await up.terminated()
            #expect(up.terminationStatus == 0)
            for pid in [storage, prover] { #expect(kill(pid, 0) != 0, "child \(pid) outlived pakit up") }
        }
    }
}
