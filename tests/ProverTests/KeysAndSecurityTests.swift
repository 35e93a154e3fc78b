import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOFoundationCompat
import NIOHTTP1
import PakitConfiguration
import PakitContracts
import PakitTLS
import PakitTestSupport
import PakitZK
import Testing
@testable import ProverService

extension ProverServiceTests {
    @Suite("keys and access")
    struct KeysAndSecurity {
        @Test("every route but /health needs a client certificate from the node CA (401 client_certificate_required)")
        func internalRoutesNeedClientCertificate() async throws {
            try await ProverTestNode.with { node in
                let health = try await node.send(.GET, "/health", mutualTLS: false)
                #expect(health.status == .ok)
                for (method, path) in [(HTTPMethod.GET, "/ready"), (.GET, "/metrics"), (.GET, "/v1/circuits"), (.GET, "/v1/keys/storage-single"),
                                       (.GET, "/v1/keys/storage-single/r1cs"), (.POST, "/v1/seal"), (.POST, "/v1/prove"), (.POST, "/v1/verify"),
                                       (.GET, "/no/such/route")] {
                    let reply = try await node.send(method, path, body: method == .POST ? Array("{}".utf8) : nil, mutualTLS: false)
                    #expect(reply.status == .unauthorized, "\(method) \(path): \(reply.status)")
                    #expect(reply.errorCode == "client_certificate_required", "\(method) \(path)")
                }
                let ready = try await node.send(.GET, "/ready")
                #expect(ready.status == .ok)
                #expect(try ready.decode(ReadyResponse.self).status == "ready")
            }
        }

        @Test("only storage's certificate may call the prover's API (another service's gets 403); any node certificate reads /metrics")
        func onlyStorageCallsTheAPI() async throws {
            try await ProverTestNode.with { node in
                let storageAnswer = try await node.send(.GET, "/v1/circuits")
                #expect(storageAnswer.status == .ok)
                let other = try node.client(presenting: "mesh-gateway")
                do {
                    let refused = try await other.execute(HTTPClientRequest(url: node.baseURL + "/v1/circuits"), timeout: .seconds(60))
                    let body = try await refused.body.collect(upTo: 1 << 20)
                    #expect(refused.status == .forbidden)
                    #expect((try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(buffer: body)))?.error.code == "caller_not_allowed")
                    let metrics = try await other.execute(HTTPClientRequest(url: node.baseURL + "/metrics"), timeout: .seconds(60))
                    _ = try await metrics.body.collect(upTo: 1 << 24)
                    #expect(metrics.status == .ok)
                } catch {
                    try? await other.shutdown()
                    throw error
                }
                try? await other.shutdown()
            }
        }

        @Test("the keys endpoint's sha256 is the hash of the key it returns and of the key file; /v1/circuits lists both circuits")
        func keysEndpoint() async throws {
            try await ProverTestNode.with { node in
                let reply = try await node.send(.GET, "/v1/keys/storage-batch-3")
                #expect(reply.status == .ok)
                let response = try reply.decode(VerifyingKeyResponse.self)
                let parsed = try Groth16VerifyingKey(snarkjs: response.verifyingKey)
                #expect(parsed.sha256Hex == response.sha256)
                #expect(parsed.isDevelopment)
                #expect(response.verifyingKey.pakitSetup?.hasPrefix("INSECURE") == true)
                #expect(response.verifyingKey.nPublic == 2)
                let file = try Groth16ProvingKey(contentsOf: node.node.configuration.keyPath(for: .batch(3)))
                #expect(file.verifyingKey.sha256Hex == response.sha256)
                #expect(response.circuit == CircuitInfo(circuit: "storage-batch-3", constraints: 10_951, publicInputs: 2, openings: 3, development: true))
                let mode = try FileManager.default.attributesOfItem(atPath: node.node.configuration.keyPath(for: .batch(3)))[.posixPermissions] as? Int
                #expect(mode == 0o600)

                let circuits = try await node.send(.GET, "/v1/circuits").decode(CircuitList.self)
                #expect(circuits.circuits.map(\.circuit) == ["storage-single", "storage-batch-3"])
                #expect(circuits.circuits[0] == CircuitInfo(circuit: "storage-single", constraints: 3651, publicInputs: 2, openings: 1, development: true))
            }
        }

        @Test("two instances with the same seed derive identical keys, and a proof from one verifies on the other")
        func instancesAreInterchangeable() async throws {
            let first = NSTemporaryDirectory() + "pakit-prover-keys-a-\(UUID().uuidString)"
            let second = NSTemporaryDirectory() + "pakit-prover-keys-b-\(UUID().uuidString)"
            defer {
                try? FileManager.default.removeItem(atPath: first)
                try? FileManager.default.removeItem(atPath: second)
            }
            let content = Fixture.content
            let tree = try CommitmentTree(content: content)
            let a = try await ProverTestNode.start(circuits: "storage-single", keysDirectory: first, extraArguments: ["--key-seed", "shared-seed"])
            let b = try await ProverTestNode.start(circuits: "storage-single", keysDirectory: second, extraArguments: ["--key-seed", "shared-seed"])
            do {
                let keyA = try await a.send(.GET, "/v1/keys/storage-single").decode(VerifyingKeyResponse.self)
                let keyB = try await b.send(.GET, "/v1/keys/storage-single").decode(VerifyingKeyResponse.self)
                #expect(keyA == keyB)
                #expect(keyA.verifyingKey.pakitSetup == "INSECURE – development only (seed: shared-seed/storage-single)")
                let proof = try await a.prove(Fixture.request("storage-single", tree, content, [11]))
                let answer = try await b.verify(VerifyRequest(circuit: "storage-single", proofHex: proof.bundle.proofHex,
                                                              publicSignals: proof.bundle.publicSignals))
                #expect(answer.valid)
                // The default seed (the shared test cache's) gives a different key.
                let shared = try Groth16ProvingKey(contentsOf: try await SharedKeys.directory + "/storage-single.pk")
                #expect(shared.verifyingKey.sha256Hex != keyA.sha256)
            } catch {
                await a.stop()
                await b.stop()
                throw error
            }
            await a.stop()
            await b.stop()
        }

        @Test("a restart loads the cached key (same key, no new setup); a cached key with another seed is derived again")
        func keyCache() async throws {
            let directory = NSTemporaryDirectory() + "pakit-prover-keys-cache-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let shared = try await SharedKeys.directory
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for name in ["storage-single.pk", "storage-single.fingerprint"] {
                try FileManager.default.copyItem(atPath: "\(shared)/\(name)", toPath: "\(directory)/\(name)")
            }
            let cached = try Groth16ProvingKey(contentsOf: "\(directory)/storage-single.pk").verifyingKey.sha256Hex
            let configuration = try ProverConfiguration(arguments: ["--data-dir", directory + "/data", "--circuits", "storage-single", "--keys-dir", directory], environment: [:])
            var quiet = Logger(label: "test")
            quiet.logLevel = .critical
            let store = try KeyStore.open(configuration, logger: quiet)
            guard case .ready(let keys) = store.entry(.single) else { throw TestFailure("the cached key was not loaded at open") }
            #expect(keys.sha256 == cached)

            let reseeded = try ProverConfiguration(arguments: ["--data-dir", directory + "/data", "--circuits", "storage-single", "--keys-dir", directory,
                                                               "--key-seed", "another"], environment: [:])
            let other = try KeyStore.open(reseeded, logger: quiet)
            guard case .pending = other.entry(.single) else { throw TestFailure("a key with another seed was used") }

            // A damaged file is not used either.
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/storage-single.pk")))
            bytes[bytes.count / 2] ^= 1
            try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/storage-single.pk"))
            guard case .pending = try KeyStore.open(configuration, logger: quiet).entry(.single) else {
                throw TestFailure("a corrupt key file was used")
            }

            // An imported key (here from a simulated ceremony, without fingerprint) is used in
            // development mode too, and is the operator's: never replaced by a derived one.
            var generator = SystemRandomNumberGenerator()
            let ceremony = try await Groth16.setup(for: try SingleChunkCircuit.synthesize(SingleChunkCircuit.setupWitness),
                                                   origin: .imported, using: &generator)
            try FileManager.default.removeItem(atPath: "\(directory)/storage-single.fingerprint")
            try Data(ceremony.serialized()).write(to: URL(fileURLWithPath: "\(directory)/storage-single.pk"))
            guard case .ready(let imported) = try KeyStore.open(configuration, logger: quiet).entry(.single) else {
                throw TestFailure("the imported key was not used")
            }
            #expect(!imported.isDevelopment)
            #expect(imported.sha256 == ceremony.verifyingKey.sha256Hex)
        }

        @Test("production mode refuses development keys at start-up, needs a key file, and refuses development keys in /v1/verify")
        func productionRefusesDevelopmentKeys() async throws {
            let shared = try await SharedKeys.directory
            let directory = NSTemporaryDirectory() + "pakit-prover-production-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let keysDirectory = directory + "/keys"
            try FileManager.default.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true)

            func open(_ keys: String) async throws -> ProverNode {
                let configuration = try ProverConfiguration(arguments: ["--data-dir", directory, "--mode", "production", "--circuits", "storage-single",
                                                                        "--keys-dir", keys, "--port", "0"], environment: [:])
                return try await ProverNode.open(configuration, logger: Logger(label: "test"))
            }
            // The development keys of the shared cache.
            let refused = await #expect(throws: ConfigurationError.self) { _ = try await open(shared) }
            #expect(refused?.message.contains("production mode refuses development keys") == true, "\(refused?.message ?? "")")
            // No key at all.
            let missing = await #expect(throws: ConfigurationError.self) { _ = try await open(keysDirectory) }
            #expect(missing?.message.contains("no proving key for storage-single") == true, "\(missing?.message ?? "")")

            // A key from a (here simulated, single-party) ceremony: imported, so accepted.
            var generator = SystemRandomNumberGenerator()
            let system = try SingleChunkCircuit.synthesize(SingleChunkCircuit.setupWitness)
            let ceremony = try await Groth16.setup(for: system, origin: .imported, using: &generator)
            try Data(ceremony.serialized()).write(to: URL(fileURLWithPath: "\(keysDirectory)/storage-single.pk"))
            let node = try await ProverTestNode.start(
                circuits: "storage-single", keysDirectory: keysDirectory, extraArguments: ["--mode", "production"])
            do {
                let circuits = try await node.send(.GET, "/v1/circuits").decode(CircuitList.self)
                #expect(circuits.circuits.first?.development == false)
                let published = try await node.send(.GET, "/v1/keys/storage-single").decode(VerifyingKeyResponse.self)
                #expect(published.sha256 == ceremony.verifyingKey.sha256Hex)
                #expect(published.verifyingKey.pakitSetup == nil)

                // A development key supplied to /v1/verify is refused, whatever the proof.
                let development = try Groth16ProvingKey(contentsOf: shared + "/storage-single.pk").verifyingKey.snarkjs
                let answer = try await node.verify(VerifyRequest(verifyingKey: development, proofHex: String(repeating: "00", count: 256),
                                                                 publicSignals: ["1", "2"]))
                #expect(!answer.valid)
                #expect(answer.development == true)
                #expect(answer.reason?.contains("refused in production mode") == true, "\(answer.reason ?? "")")
            } catch {
                await node.stop()
                throw error
            }
            await node.stop()
        }

        @Test("pakit-prover exits 1 with a clear message without its certificate, or when production mode finds no key")
        func executableRefusesToStart() async throws {
            let directory = NSTemporaryDirectory() + "pakit-prover-exec-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let missingCertificate = try await runProcess(try BuiltProduct.path("pakit-prover"), ["--data-dir", directory, "--port", "0"])
            #expect(missingCertificate.status == 1)
            #expect(missingCertificate.stderr.contains("no readable CA certificate for prover at \(directory)/tls/ca.pem: run 'pakit init'"),
                    "\(missingCertificate.stderr)")
            try NodeCertificates.issue(in: "\(directory)/tls", identities: ["prover"])
            let result = try await runProcess(try BuiltProduct.path("pakit-prover"), ["--data-dir", directory, "--mode", "production", "--port", "0",
                                                                      "--circuits", "storage-single"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("production mode: no proving key for storage-single"), "\(result.stderr)")
            let usage = try await runProcess(try BuiltProduct.path("pakit-prover"), ["--mode", "staging"])
            #expect(usage.status == 2)
            #expect(usage.stderr.contains("mode"))
        }
    }
}
