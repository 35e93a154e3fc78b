import Foundation
import PakitContracts
import PakitTestSupport
import PakitCore
import PakitZK
@testable import ProverService
import Testing

extension ProverServiceTests {
    /// Our proofs, keys, circuit and witness against two verifiers and a prover that share no
    /// code with Pakit: py-ecc (tests/compat/groth16_verify.py) and arkworks through groth16py
    /// (tests/compat/groth16py_run.py). tests/run-all.sh installs both (tests/compat/install.sh).
    @Suite("interoperability", .enabled("python3 with py-ecc and groth16py is not installed (tests/compat/install.sh)") { await PythonTools.available() })
    struct Interop {
        static func python() throws -> String {
            guard let python = PythonTools.python else { throw TestFailure("python3 not found") }
            return python
        }

        /// The one JSON line the compat scripts print.
        static func json(_ stdout: String) -> [String: Any] {
            let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
            return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        }

        static var scripts: String {
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/compat"
        }

        @Test("py-ecc verifies our proof.json/public.json/verification_key.json and rejects the EIP-197 proof with one byte flipped")
        func pyEccVerifiesOurProof() async throws {
            let content = Fixture.content
            let tree = try CommitmentTree(content: content)
            let directory = NSTemporaryDirectory() + "pakit-interop-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await ProverTestNode.with { node in
                let key = try await node.send(.GET, "/v1/keys/storage-batch-3").decode(VerifyingKeyResponse.self)
                let proved = try await node.prove(Fixture.request("storage-batch-3", tree, content, try Fixture.challenge(tree, count: 3)))
                let encoder = JSONEncoder()
                try encoder.encode(key.verifyingKey).write(to: URL(fileURLWithPath: "\(directory)/verification_key.json"))
                try encoder.encode(proved.bundle.proof).write(to: URL(fileURLWithPath: "\(directory)/proof.json"))
                try encoder.encode(proved.bundle.publicSignals).write(to: URL(fileURLWithPath: "\(directory)/public.json"))

                let python = try Self.python()
                let valid = try await runProcess(python, ["\(Self.scripts)/groth16_verify.py", "--vk", "\(directory)/verification_key.json",
                                                    "--proof", "\(directory)/proof.json", "--public", "\(directory)/public.json"])
                #expect(valid.status == 0, "py-ecc: \(valid.output) \(valid.stderr)")
                #expect(Self.json(valid.output)["valid"] as? Bool == true, "\(valid.output)")

                let hexValid = try await runProcess(python, ["\(Self.scripts)/groth16_verify.py", "--vk", "\(directory)/verification_key.json",
                                                       "--proof-hex", proved.bundle.proofHex, "--public", "\(directory)/public.json"])
                #expect(hexValid.status == 0, "py-ecc (EIP-197): \(hexValid.output) \(hexValid.stderr)")

                var flipped = try #require(Hex.decode(proved.bundle.proofHex))
                flipped[200] ^= 0x01
                let invalid = try await runProcess(python, ["\(Self.scripts)/groth16_verify.py", "--vk", "\(directory)/verification_key.json",
                                                      "--proof-hex", Hex.encode(flipped), "--public", "\(directory)/public.json"])
                #expect(invalid.status == 1, "py-ecc accepted a flipped proof: \(invalid.output) \(invalid.stderr)")
            }
        }

        @Test("groth16py (arkworks) proves and verifies our exported .r1cs with our .wtns, and verifies our own proof")
        func groth16pyRunsOurCircuitAndVerifiesOurProof() async throws {
            let content = Fixture.content
            let tree = try CommitmentTree(content: content)
            let directory = NSTemporaryDirectory() + "pakit-interop-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await ProverTestNode.with { node in
                let r1cs = try await node.send(.GET, "/v1/keys/storage-single/r1cs")
                #expect(r1cs.status == .ok)
                #expect(r1cs.headers["Content-Disposition"].first == "attachment; filename=\"storage-single.r1cs\"")
                try Data(r1cs.body).write(to: URL(fileURLWithPath: "\(directory)/circuit.r1cs"))
                let parsed = try R1CSFile(serialized: r1cs.body)
                #expect(parsed.constraints.count == SingleChunkCircuit.constraintCount)
                #expect(parsed.publicWireCount == 2)

                // The witness of a real opening, computed the way the service does.
                let index = try Fixture.challenge(tree, count: 1, beacon: "interop")[0]
                let opening = try tree.opening(ofChunk: index, bytes: Fixture.chunk(content, index))
                let system = try SingleChunkCircuit.synthesize(SingleChunkWitness(root: tree.root, opening: opening))
                try Data(WitnessFile(system).serialized()).write(to: URL(fileURLWithPath: "\(directory)/witness.wtns"))

                let python = try Self.python()
                let foreign = try await runProcess(python, ["\(Self.scripts)/groth16py_run.py", "--r1cs", "\(directory)/circuit.r1cs",
                                                      "--wtns", "\(directory)/witness.wtns"])
                #expect(foreign.status == 0, "groth16py on our files: \(foreign.output) \(foreign.stderr)")
                let report = Self.json(foreign.output)
                #expect(report["valid"] as? Bool == true, "\(foreign.output)")
                #expect(report["public"] as? [String] == [tree.root.decimalString, "\(index)"], "\(foreign.output)")
                #expect(report["constraints"] as? Int == SingleChunkCircuit.constraintCount, "\(foreign.output)")

                let key = try await node.send(.GET, "/v1/keys/storage-single").decode(VerifyingKeyResponse.self)
                let proved = try await node.prove(Fixture.request("storage-single", tree, content, [index]))
                try JSONEncoder().encode(key.verifyingKey).write(to: URL(fileURLWithPath: "\(directory)/verification_key.json"))
                try JSONEncoder().encode(proved.bundle.publicSignals).write(to: URL(fileURLWithPath: "\(directory)/public.json"))
                let ours = try await runProcess(python, ["\(Self.scripts)/groth16py_run.py", "--verify-vk", "\(directory)/verification_key.json",
                                                   "--verify-proof-hex", proved.bundle.proofHex, "--public", "\(directory)/public.json"])
                #expect(ours.status == 0, "groth16py on our proof: \(ours.output) \(ours.stderr)")
                #expect(Self.json(ours.output)["foreign_valid"] as? Bool == true, "\(ours.output)")
            }
        }
    }
}

/// The independent Groth16 tools, when installed.
enum PythonTools {
    static let python: String? = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        return (path + ["/usr/bin/python3", "/usr/local/bin/python3"]).first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static func available() async -> Bool {
        guard let python, let probe = try? await runProcess(python, ["-c", "import py_ecc.optimized_bn128, groth16py"]) else { return false }
        return probe.status == 0
    }
}
