import Foundation
import PakitContracts
import PakitTestSupport
import PakitCore
import PakitZK
@testable import ProverService
import Testing

extension ProverServiceTests {
    @Suite("prove and verify")
    struct ProveVerify {
        @Test("single and batch-3 proofs from sealed content verify through /v1/verify in every form; a tampered signal does not")
        func proveThenVerify() async throws {
            let content = Fixture.content
            try await ProverTestNode.with { node in
                let sealed = try await node.send(.POST, "/v1/seal", body: content)
                let tree = try CommitmentTree(serialized: sealed.body)
                let keys = try await node.send(.GET, "/v1/keys/storage-single").decode(VerifyingKeyResponse.self)

                // Single: public signals are [R, i].
                let index = try Fixture.challenge(tree, count: 1)[0]
                let single = try await node.prove(Fixture.request("storage-single", tree, content, [index]))
                #expect(single.bundle.publicSignals == [tree.root.decimalString, "\(index)"])
                #expect(single.bundle.proofHex.count == 512)
                #expect(single.bundle.compressedHex.count == 256)
                #expect(single.bundle.verifyingKeySha256 == keys.sha256)
                #expect(single.instance == node.node.configuration.instance)
                #expect(single.provingMilliseconds > 0)
                let signals = single.bundle.publicSignals
                for request in [
                    VerifyRequest(circuit: "storage-single", proof: single.bundle.proof, publicSignals: signals),
                    VerifyRequest(circuit: "storage-single", proofHex: single.bundle.proofHex, publicSignals: signals),
                    VerifyRequest(circuit: "storage-single", proofHex: "0x" + single.bundle.compressedHex, publicSignals: signals),
                    VerifyRequest(verifyingKey: keys.verifyingKey, proof: single.bundle.proof, publicSignals: signals),
                ] {
                    let answer = try await node.verify(request)
                    #expect(answer.valid, "\(answer.reason ?? "")")
                    #expect(answer.development == true)
                }
                let tampered = try await node.verify(VerifyRequest(
                    circuit: "storage-single", proof: single.bundle.proof, publicSignals: [signals[0], "\(index + 1)"]))
                #expect(!tampered.valid)
                #expect(tampered.reason?.contains("pairing") == true)

                // Batch of 3 (beacon-derived, one root): [R, packed indices].
                let indices = try Fixture.challenge(tree, count: 3)
                let batch = try await node.prove(Fixture.request("storage-batch-3", tree, content, indices))
                let expected = try BatchChunkCircuit(count: 3).publicInputs(root: tree.root, chunkIndices: indices)
                #expect(batch.bundle.publicSignals == expected.map(\.decimalString))
                let valid = try await node.verify(VerifyRequest(circuit: "storage-batch-3", proofHex: batch.bundle.proofHex,
                                                                publicSignals: batch.bundle.publicSignals))
                #expect(valid.valid, "\(valid.reason ?? "")")
                // The batch proof is not a single proof, nor valid for other indices.
                let other = try BatchChunkCircuit(count: 3).publicInputs(root: tree.root, chunkIndices: [indices[1], indices[0], indices[2]])
                let swapped = try await node.verify(VerifyRequest(circuit: "storage-batch-3", proof: batch.bundle.proof,
                                                                  publicSignals: other.map(\.decimalString)))
                #expect(!swapped.valid)
                let crossed = try await node.verify(VerifyRequest(circuit: "storage-single", proof: batch.bundle.proof,
                                                                  publicSignals: batch.bundle.publicSignals))
                #expect(!crossed.valid)

                let metrics = try await node.send(.GET, "/metrics")
                #expect(metrics.text.contains("pakit_prover_proofs_total{circuit=\"storage-single\",outcome=\"ok\"}"))
                #expect(metrics.text.contains("pakit_prover_proving_seconds_bucket"))
                #expect(metrics.text.contains("pakit_prover_queue_depth"))
                #expect(metrics.text.contains("pakit_prover_seal_bytes_total"))
            }
        }

        @Test("a wrong sibling, chunk or root is 422 unsatisfied naming the opening")
        func wrongWitnessIsUnsatisfied() async throws {
            let content = Fixture.content
            let tree = try CommitmentTree(content: content)
            try await ProverTestNode.with { node in
                var request = try Fixture.request("storage-batch-3", tree, content, [0, 70, UInt64(tree.chunkCount - 1)])
                request.openings[1].siblings[4][2] = "12345"
                let sibling = try await node.json("/v1/prove", request)
                #expect(sibling.status == .unprocessableEntity)
                #expect(sibling.errorCode == "unsatisfied")
                #expect(sibling.errorMessage.contains("openings[1]"))

                var chunk = try Fixture.request("storage-single", tree, content, [5])
                chunk.openings[0].chunk = "ff" + chunk.openings[0].chunk.dropFirst(2)
                let changed = try await node.json("/v1/prove", chunk)
                #expect(changed.status == .unprocessableEntity)
                #expect(changed.errorCode == "unsatisfied")

                var root = try Fixture.request("storage-single", tree, content, [5])
                root.root = "7"
                let wrongRoot = try await node.json("/v1/prove", root)
                #expect(wrongRoot.status == .unprocessableEntity)
                #expect(wrongRoot.errorCode == "unsatisfied")
            }
        }

        @Test("malformed prove requests are 400 invalid_request with a message naming the field; unknown circuits 404")
        func badInputs() async throws {
            let content = Fixture.content
            let tree = try CommitmentTree(content: content)
            let good = try Fixture.request("storage-single", tree, content, [3])
            let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617"
            var cases: [(String, ProveRequest)] = []
            func variant(_ expectation: String, _ change: (inout ProveRequest) -> Void) {
                var request = good
                change(&request)
                cases.append((expectation, request))
            }
            variant("takes exactly 1 opening") { $0.openings.append($0.openings[0]) }
            variant("takes exactly 3 openings") { $0.circuit = "storage-batch-3" }
            variant("root must be a decimal") { $0.root = "0x1234" }
            variant("root is not below") { $0.root = r }
            variant("openings[0].index 1048576") { $0.openings[0].index = 1 << 20 }
            variant("openings[0].chunk must be hex") { $0.openings[0].chunk = "xyz0" }
            variant("holds 497 bytes") { $0.openings[0].chunk = String(repeating: "ab", count: 497) }
            variant("must hold 10 levels") { $0.openings[0].siblings.removeLast() }
            variant("siblings[2] must hold 3 nodes") { $0.openings[0].siblings[2].removeLast() }
            variant("siblings[9][1] is not below") { $0.openings[0].siblings[9][1] = r }
            variant("siblings[0][0] must be a decimal") { $0.openings[0].siblings[0][0] = "-1" }
            try await ProverTestNode.with { node in
                for (expectation, request) in cases {
                    let reply = try await node.json("/v1/prove", request)
                    #expect(reply.status == .badRequest, "\(expectation): \(reply.text)")
                    #expect(reply.errorCode == "invalid_request", "\(expectation)")
                    #expect(reply.errorMessage.contains(expectation), "expected '\(expectation)' in '\(reply.errorMessage)'")
                }
                let malformed = try await node.send(.POST, "/v1/prove", body: Array("{\"circuit\": 3}".utf8),
                                                    headers: [("Content-Type", "application/json")])
                #expect(malformed.status == .badRequest)
                #expect(malformed.errorCode == "invalid_request")

                var unknown = good
                unknown.circuit = "storage-batch-7"
                let notServed = try await node.json("/v1/prove", unknown)
                #expect(notServed.status == .notFound)
                #expect(notServed.errorCode == "unknown_circuit")
                #expect(notServed.errorMessage.contains("storage-single, storage-batch-3"))
                unknown.circuit = "groth16-anything"
                #expect(try await node.json("/v1/prove", unknown).errorCode == "unknown_circuit")
                let key = try await node.send(.GET, "/v1/keys/storage-nope")
                #expect(key.status == .notFound)
                #expect(key.errorCode == "unknown_circuit")
                let verify = try await node.json("/v1/verify", VerifyRequest(circuit: "storage-batch-9", proofHex: "00", publicSignals: []))
                #expect(verify.status == .notFound)
                #expect(verify.errorCode == "unknown_circuit")
            }
        }

        @Test("verify answers valid:false with a reason for bad encodings, off-curve points, inputs ≥ r and γ = δ keys; 400 for bad JSON shapes")
        func verifyRejectsBadProofs() async throws {
            let content = Fixture.content
            let tree = try CommitmentTree(content: content)
            try await ProverTestNode.with { node in
                let proved = try await node.prove(Fixture.request("storage-single", tree, content, [9]))
                let bundle = proved.bundle
                let signals = bundle.publicSignals
                let key = try await node.send(.GET, "/v1/keys/storage-single").decode(VerifyingKeyResponse.self).verifyingKey
                let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617"

                func invalid(_ request: VerifyRequest, _ phrase: String) async throws {
                    let answer = try await node.verify(request)
                    #expect(!answer.valid, "\(phrase)")
                    #expect(answer.reason?.contains(phrase) == true, "expected '\(phrase)' in '\(answer.reason ?? "nil")'")
                }
                try await invalid(VerifyRequest(circuit: "storage-single", proofHex: String(bundle.proofHex.prefix(200)), publicSignals: signals),
                                  "expected 256 bytes")
                try await invalid(VerifyRequest(circuit: "storage-single", proofHex: "zz" + bundle.proofHex.dropFirst(2), publicSignals: signals),
                                  "not a valid number")
                var offCurve = bundle.proof
                offCurve.piA[1] = "5"
                try await invalid(VerifyRequest(circuit: "storage-single", proof: offCurve, publicSignals: signals), "not on the curve")
                // B on the twist but outside the order-r subgroup: in the compressed form only
                // B.x is sent, so about every other x' decodes to a twist point, and a twist point
                // off the subgroup is what almost every such x' gives.
                var compressed = try #require(Hex.decode(bundle.compressedHex))
                var reasons: [String] = []
                let original = compressed[95]
                for k in UInt8(1)...40 where k != original {
                    compressed[95] = k
                    let answer = try await node.verify(VerifyRequest(circuit: "storage-single", proofHex: Hex.encode(compressed), publicSignals: signals))
                    #expect(!answer.valid)
                    reasons.append(answer.reason ?? "")
                }
                #expect(reasons.contains { $0.contains("proof.B: point is not in the order-r subgroup") }, "\(reasons)")
                var nonCanonical = bundle.proof
                nonCanonical.piC[0] = "21888242871839275222246405745257275088696311157297823662689037894645226208583"
                try await invalid(VerifyRequest(circuit: "storage-single", proof: nonCanonical, publicSignals: signals), "not below the field modulus")
                try await invalid(VerifyRequest(circuit: "storage-single", proof: bundle.proof, publicSignals: [signals[0], r]), "public input 1")
                try await invalid(VerifyRequest(circuit: "storage-single", proof: bundle.proof, publicSignals: [signals[0]]), "takes 2 public signals")
                var forgeable = key
                forgeable.vkDelta2 = forgeable.vkGamma2
                try await invalid(VerifyRequest(verifyingKey: forgeable, proof: bundle.proof, publicSignals: signals), "vk_gamma_2 = vk_delta_2")

                // JSON that does not have the documented shape: 400.
                var shape = bundle.proof
                shape.piA = ["1", "2", "1", "4"]
                let badShape = try await node.json("/v1/verify", VerifyRequest(circuit: "storage-single", proof: shape, publicSignals: signals))
                #expect(badShape.status == .badRequest)
                #expect(badShape.errorCode == "invalid_request")
                let both = try await node.json("/v1/verify", VerifyRequest(circuit: "storage-single", verifyingKey: key, proof: bundle.proof,
                                                                           publicSignals: signals))
                #expect(both.status == .badRequest)
                let neither = try await node.json("/v1/verify", VerifyRequest(circuit: "storage-single", publicSignals: signals))
                #expect(neither.status == .badRequest)
                let missing = try await node.send(.POST, "/v1/verify", body: Array("{\"circuit\":\"storage-single\"}".utf8),
                                                  headers: [("Content-Type", "application/json")])
                #expect(missing.status == .badRequest)
                #expect(missing.errorCode == "invalid_request")
            }
        }
    }
}
