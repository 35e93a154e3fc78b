import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PakitContracts
import PakitCore
import PakitHTTPClient
import PakitJobs
import PakitSQL
import PakitTLS
import PakitTestSupport
import PakitZK
import Testing
@testable import StorageService

/// Sealing and proving through storage with real `pakit-prover` processes: commitments equal
/// PakitZK's tree over the same bytes, proofs verify and tampered statements do not, bad input
/// changes nothing, and the durable job queue survives kill -9 of storage and of a prover in
/// the middle of a request, finishing every job exactly once.
@Suite("Proof jobs (real prover processes)", .serialized)
struct ProofJobTests {
    /// A key of the right shape for one public input: refused before any curve arithmetic.
    static let anyKey = SnarkjsVerifyingKey(nPublic: 1, vkAlpha1: [], vkBeta2: [], vkGamma2: [], vkDelta2: [], vkAlphabeta12: [],
                                            ic: [["1", "2", "1"], ["1", "2", "1"]], pakitSetup: nil)
    static let batchArguments = ["--proof-batch-size", "3"]

    // MARK: seal and prove

    @Test("seal gives PakitZK's commitment root; single and batch proofs verify, tampered signals do not", arguments: Backend.available)
    func sealAndProve(backend: Backend) async throws {
        let data = try Self.freshDataDirectory()
        try await withProvers(["a"], caDirectory: "\(data)/tls") { provers in
            try await TestNode.with(backend, extraArguments: ["--provers", provers[0].url] + Self.batchArguments, dataDirectory: data) { node in
                try await provers[0].waitUntilReady(node.mtlsClient)
                // FastCDC cuts 100 kB into several blocks: the seal stream and the chunk reads
                // cross block boundaries.
                let bytes = randomBytes(100_000, seed: 41)
                let expected = try CommitmentTree(content: bytes)
                let added = try await node.add(bytes, query: "profile=fastcdc-v1")
                #expect(added.blocks > 2, "the test file should span several blocks")
                let cid = added.cid

                let queued = try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: cid))
                #expect(queued.status == .accepted, "POST /v1/commitments: \(queued.status) \(queued.text)")
                #expect([JobStatus.queued, .running].contains(try queued.decode(CommitmentResponse.self).status))
                let sealed = try await Self.waitForCommitment(node, cid)
                #expect(sealed.status == .done, "sealing failed: \(sealed.error ?? "")")
                #expect(sealed.root == expected.root.decimalString, "the commitment root is not PakitZK's root over the same bytes")
                #expect(sealed.chunkCount == UInt64(expected.chunkCount) && sealed.chunkCount == 202)
                #expect(sealed.byteCount == 100_000)
                #expect(sealed.blockCount == UInt64(expected.blockCount) && sealed.blockCount == 4)
                // The tree storage keeps is the same tree, on disk under <data>/commitments.
                let treeFile = "\(data)/commitments/\(try CID(cid).v1.string).tree"
                let stored = try CommitmentTree(serialized: [UInt8](try Data(contentsOf: URL(fileURLWithPath: treeFile))))
                #expect(stored == expected)
                // Idempotent: sealing again answers 200 with the same commitment.
                let again = try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: cid))
                #expect(again.status == .ok)
                #expect(try again.decode(CommitmentResponse.self) == sealed)

                let root = expected.root
                let beacon: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0xaa, 0xbb]
                let beaconHex = "00112233aabb"

                // Single proof: one chunk drawn from the beacon.
                let single = try await Self.prove(node, ProofRequest(cid: cid, beacon: beaconHex, count: 1))
                let singleIndices = try StorageChallenge.chunkIndices(beacon: beacon, root: root, chunkCount: 202, count: 1)
                #expect(single.circuit == "storage-single")
                #expect(single.chunkIndices == singleIndices)
                #expect(single.blocks == (try StorageChallenge.blocks(beacon: beacon, root: root, chunkCount: 202, count: 1)))
                #expect(single.attempts == 1 && single.lastProver == provers[0].url)
                let singleBundle = try #require(single.bundle)
                #expect(singleBundle.publicSignals == SnarkjsPublicSignals.encode(try SingleChunkCircuit.publicInputs(root: root, chunkIndex: singleIndices[0])))
                #expect(try await Self.verify(node, VerifyRequest(circuit: "storage-single", proof: singleBundle.proof, publicSignals: singleBundle.publicSignals)).valid)
                #expect(try await Self.verify(node, VerifyRequest(circuit: "storage-single", proofHex: singleBundle.proofHex, publicSignals: singleBundle.publicSignals)).valid)
                #expect(HexBytes.decode(singleBundle.proofHex)?.count == 256, "the EIP-197 proof is 256 bytes")
                var wrongIndex = singleBundle.publicSignals
                wrongIndex[1] = String(singleIndices[0] + 1)
                let tampered = try await Self.verify(node, VerifyRequest(circuit: "storage-single", proof: singleBundle.proof, publicSignals: wrongIndex))
                #expect(!tampered.valid && tampered.reason != nil, "a proof verified for a chunk it does not open")

                // The key storage verified against, as published, and verification with it given.
                let keyReply = try await node.send(.GET, "/v1/proofs/\(single.id)/verification-key", token: nil)
                #expect(keyReply.status == .ok, "\(keyReply.text)")
                let key = try keyReply.decode(VerifyingKeyResponse.self)
                #expect(key.sha256 == singleBundle.verifyingKeySha256)
                #expect(try Groth16VerifyingKey(snarkjs: key.verifyingKey).sha256Hex == key.sha256)
                #expect(try await Self.verify(node, VerifyRequest(verifyingKey: key.verifyingKey, proof: singleBundle.proof, publicSignals: singleBundle.publicSignals)).valid)

                // Batch proof: three blocks drawn from the beacon, one proof.
                let batch = try await Self.prove(node, ProofRequest(cid: cid, beacon: beaconHex, count: 3))
                let batchIndices = try StorageChallenge.chunkIndices(beacon: beacon, root: root, chunkCount: 202, count: 3)
                #expect(batch.circuit == "storage-batch-3")
                #expect(batch.chunkIndices == batchIndices)
                let batchBundle = try #require(batch.bundle)
                #expect(batchBundle.publicSignals == SnarkjsPublicSignals.encode(try BatchChunkCircuit(count: 3).publicInputs(root: root, chunkIndices: batchIndices)))
                #expect(try await Self.verify(node, VerifyRequest(circuit: "storage-batch-3", proof: batchBundle.proof, publicSignals: batchBundle.publicSignals)).valid)
                var wrongRoot = batchBundle.publicSignals
                wrongRoot[0] = (root + Fr.one).decimalString
                #expect(!(try await Self.verify(node, VerifyRequest(circuit: "storage-batch-3", proof: batchBundle.proof, publicSignals: wrongRoot)).valid))
                #expect(!(try await Self.verify(node, VerifyRequest(circuit: "storage-single", proof: batchBundle.proof, publicSignals: singleBundle.publicSignals)).valid))

                // Explicit blocks, one repeated: the n-th occurrence uses counter n.
                let explicit = try await Self.prove(node, ProofRequest(cid: cid, beacon: beaconHex, blocks: [3, 0, 3]))
                let explicitIndices = try [(UInt64(3), UInt32(0)), (0, 0), (3, 1)].map { block, counter in
                    try StorageChallenge.chunkIndex(beacon: beacon, root: root, chunkCount: 202, block: block, counter: counter)
                }
                #expect(explicit.blocks == [3, 0, 3] && explicit.chunkIndices == explicitIndices)
                #expect(explicit.chunkIndices.allSatisfy { (192..<202).contains($0) || $0 < 64 }, "block 3 holds chunks 192…201")
                let explicitBundle = try #require(explicit.bundle)
                #expect(try await Self.verify(node, VerifyRequest(circuit: "storage-batch-3", proof: explicitBundle.proof, publicSignals: explicitBundle.publicSignals)).valid)
            }
        }
    }

    // MARK: bad input

    @Test("bad requests get a clear 4xx and change nothing", arguments: Backend.available)
    func badInputsChangeNothing(backend: Backend) async throws {
        let data = try Self.freshDataDirectory()
        try await withProvers(["a"], caDirectory: "\(data)/tls") { provers in
            try await TestNode.with(backend, extraArguments: ["--provers", provers[0].url] + Self.batchArguments, dataDirectory: data) { node in
                try await provers[0].waitUntilReady(node.mtlsClient)
                let sealedCID = try await node.add(randomBytes(40_000, seed: 42)).cid  // 81 chunks, 2 blocks
                #expect(try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: sealedCID)).status == .accepted)
                #expect(try await Self.waitForCommitment(node, sealedCID).status == .done)
                let unsealedCID = try await node.add(randomBytes(5_000, seed: 43)).cid
                let unknownCID = CID.raw(sha256Of: Array("never stored".utf8)).string
                let reader = try await node.createToken(scopes: ["read"])
                let database = try await SQLDatabases.open(url: node.node.configuration.databaseURL, logger: Logger(label: "test"))
                let before = try await Self.rowCounts(database)

                func expectRefused(_ reply: TestNode.Reply, _ status: HTTPResponseStatus, _ code: String, _ what: String) {
                    #expect(reply.status == status, "\(what): expected \(status), got \(reply.status) \(reply.text)")
                    #expect(reply.errorCode == code, "\(what): expected error code \(code), got \(reply.errorCode ?? "none")")
                }
                func proofs(_ request: ProofRequest, token: String? = TestNode.admin) async throws -> TestNode.Reply {
                    try await node.json(.POST, "/v1/proofs", request, token: token)
                }

                // Commitments.
                expectRefused(try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: unsealedCID), token: nil), .unauthorized, "unauthorized", "seal without a token")
                expectRefused(try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: unsealedCID), token: reader), .forbidden, "forbidden", "seal with a read token")
                expectRefused(try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: unknownCID)), .notFound, "not_found", "seal an unknown CID")
                expectRefused(try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: "notacid")), .badRequest, "invalid_cid", "seal an invalid CID")
                expectRefused(try await node.send(.POST, "/v1/commitments", body: Array("{".utf8), headers: [("Content-Type", "application/json")]), .badRequest, "invalid_request", "malformed JSON")
                expectRefused(try await node.send(.GET, "/v1/commitments/\(unsealedCID)"), .notFound, "not_found", "commitment of an unsealed file")

                // Proofs.
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01", count: 1), token: nil), .unauthorized, "unauthorized", "prove without a token")
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01", count: 1), token: reader), .forbidden, "forbidden", "prove with a read token")
                expectRefused(try await proofs(ProofRequest(cid: unknownCID, beacon: "01", count: 1)), .notFound, "not_found", "prove an unknown CID")
                expectRefused(try await proofs(ProofRequest(cid: unsealedCID, beacon: "01", count: 1)), .conflict, "not_sealed", "prove an unsealed file")
                for beacon in ["zz", "abc", "", "0x", String(repeating: "ab", count: 1025)] {
                    expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: beacon, count: 1)), .badRequest, "invalid_parameter", "beacon '\(beacon.prefix(10))'")
                }
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01", blocks: [2])), .badRequest, "invalid_parameter", "block 2 of 2")
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01", blocks: [0, 1, 7])), .badRequest, "invalid_parameter", "block 7 in a batch")
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01", count: 2)), .badRequest, "invalid_parameter", "count 2 (batch size 3)")
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01", count: 0)), .badRequest, "invalid_parameter", "count 0")
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01", blocks: [0, 1])), .badRequest, "invalid_parameter", "two blocks (batch size 3)")
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01", blocks: [0], count: 1)), .badRequest, "invalid_parameter", "both blocks and count")
                expectRefused(try await proofs(ProofRequest(cid: sealedCID, beacon: "01")), .badRequest, "invalid_parameter", "neither blocks nor count")
                expectRefused(try await node.send(.GET, "/v1/proofs/\(String(repeating: "0", count: 32))"), .notFound, "not_found", "unknown proof id")
                expectRefused(try await node.send(.GET, "/v1/proofs/not-an-id"), .badRequest, "invalid_parameter", "malformed proof id")

                // Verification requests that name no usable key.
                let anyProof = SnarkjsProof(piA: ["1", "2", "1"], piB: [["0", "0"], ["0", "0"], ["1", "0"]], piC: ["1", "2", "1"])
                expectRefused(try await node.json(.POST, "/v1/proofs/verify", VerifyRequest(proof: anyProof, publicSignals: ["1"])), .badRequest, "invalid_parameter", "verify without circuit or key")
                expectRefused(try await node.json(.POST, "/v1/proofs/verify", VerifyRequest(circuit: "storage-batch-7", proof: anyProof, publicSignals: Array(repeating: "1", count: StorageCircuit.batch(7).publicInputCount))), .notFound, "unknown_circuit", "a circuit no prover serves")
                expectRefused(try await node.json(.POST, "/v1/proofs/verify", VerifyRequest(circuit: "storage-single", proof: anyProof, publicSignals: ["1"])), .unprocessableEntity, "invalid_content", "a public-signal count the circuit does not take")
                expectRefused(try await node.json(.POST, "/v1/proofs/verify", VerifyRequest(verifyingKey: Self.anyKey, proof: anyProof, publicSignals: ["1"]), token: nil), .unauthorized, "unauthorized", "a caller's own key without a token")
                expectRefused(try await node.json(.POST, "/v1/proofs/verify", VerifyRequest(circuit: "rsa", proof: anyProof, publicSignals: ["1"])), .badRequest, "invalid_parameter", "not a circuit name")
                let garbage = try await Self.verify(node, VerifyRequest(circuit: "storage-single", proof: anyProof, publicSignals: ["1", "2"]))
                #expect(!garbage.valid && garbage.reason != nil, "a malformed proof must be answered invalid with a reason")

                #expect(try await Self.rowCounts(database) == before, "a refused request changed the job tables")
                #expect(!FileManager.default.fileExists(atPath: "\(data)/commitments/\(try CID(unsealedCID).v1.string).tree"))
                await database.close()
            }
        }
    }

    @Test("without provers the proof endpoints answer 503 no_prover")
    func noProverConfigured() async throws {
        try await TestNode.with(.sqlite) { node in
            let cid = try await node.add(randomBytes(1_000, seed: 44)).cid
            #expect(try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: cid)).errorCode == "no_prover")
            #expect(try await node.json(.POST, "/v1/proofs", ProofRequest(cid: cid, beacon: "01", count: 1)).errorCode == "no_prover")
            let verify = try await node.json(.POST, "/v1/proofs/verify", VerifyRequest(circuit: "storage-single", publicSignals: []))
            #expect(verify.status == .badRequest, "a request without a proof is refused before any prover is needed")
            let named = try await node.json(.POST, "/v1/proofs/verify", VerifyRequest(circuit: "storage-single", proofHex: String(repeating: "00", count: 256), publicSignals: ["1", "2"]))
            #expect(named.status == .serviceUnavailable && named.errorCode == "no_prover")
        }
    }

    // MARK: durability

    @Test("kill -9 of storage while seal and proof jobs are queued or running: after restart every job completes exactly once",
          arguments: Backend.available)
    func storageKilledWhileJobsRun(backend: Backend) async throws {
        let data = try Self.freshDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let databaseURL = try await backend.makeDatabaseURL(dataDirectory: data)
        try await withProvers(["a", "b"], caDirectory: "\(data)/tls") { provers in
            let arguments = ["--provers", provers.map(\.url).joined(separator: ","), "--proof-attempts", "8"] + Self.batchArguments
            var storage = try StorageProcess.start(dataDirectory: data, databaseURL: databaseURL, extraArguments: arguments)
            defer { storage.kill() }
            var api = try await RemoteStorage(storage, data: data)
            do {
            for prover in provers { try await prover.waitUntilReady(api.mtlsClient) }
            let bytes = randomBytes(120_000, seed: 45)
            let cid = try await api.add(bytes)

            // Kill while the seal job is queued or running.
            #expect(try await api.call(.POST, "/v1/commitments", CommitmentRequest(cid: cid)).status == .accepted)
            storage.kill()
            await api.shutdown()
            storage = try StorageProcess.start(dataDirectory: data, databaseURL: databaseURL, extraArguments: arguments)
            api = try await RemoteStorage(storage, data: data)
            let sealed = try await poll("the seal job after a restart") { () -> CommitmentResponse? in
                let commitment = try await api.decode(CommitmentResponse.self, .GET, "/v1/commitments/\(cid)")
                return commitment.status == .queued || commitment.status == .running ? nil : commitment
            }
            let expectedRoot = try CommitmentTree(content: bytes).root.decimalString
            #expect(sealed.status == .done && sealed.root == expectedRoot)

            // Kill while proof jobs are queued and running.
            var ids: [String] = []
            for round in 0..<6 {
                let request = ProofRequest(cid: cid, beacon: String(format: "%02x%02x", round, 0xee), count: round % 2 == 0 ? 3 : 1)
                ids.append(try await api.decode(ProofRecord.self, .POST, "/v1/proofs", request).id)
            }
            _ = try await poll("a proof job to run on a prover") { () -> Bool? in
                for id in ids where try await api.decode(ProofRecord.self, .GET, "/v1/proofs/\(id)").status == .running { return true }
                return nil
            }
            storage.kill()
            await api.shutdown()
            storage = try StorageProcess.start(dataDirectory: data, databaseURL: databaseURL, extraArguments: arguments)
            api = try await RemoteStorage(storage, data: data)
            let finished = try await Self.waitForAll(ids) { try await api.decode(ProofRecord.self, .GET, "/v1/proofs/\($0)") }
            for record in finished {
                #expect(record.status == .done, "job \(record.id) ended \(record.status): \(record.error ?? "")")
                #expect(record.attempts >= 1 && record.attempts <= 8)
                let bundle = try #require(record.bundle)
                let verdict = try await api.decode(VerifyResponse.self, .POST, "/v1/proofs/verify",
                                                   VerifyRequest(circuit: record.circuit, proof: bundle.proof, publicSignals: bundle.publicSignals))
                #expect(verdict.valid, "job \(record.id): \(verdict.reason ?? "")")
            }
            // Exactly once: a finished job never changes again (no second completion).
            for record in finished {
                #expect(try await api.decode(ProofRecord.self, .GET, "/v1/proofs/\(record.id)") == record, "job \(record.id) changed after it was done")
            }
            } catch {
                await api.shutdown()
                throw error
            }
            await api.shutdown()
        }
    }

    @Test("THE ISSUE: three provers, a batch of proof jobs, one prover killed with kill -9 while it holds a request; every job completes exactly once",
          arguments: Backend.available)
    func proverKilledMidRequest(backend: Backend) async throws {
        let data = try Self.freshDataDirectory()
        try await withProvers(["a", "b", "c"], caDirectory: "\(data)/tls") { provers in
            let arguments = ["--provers", provers.map(\.url).joined(separator: ",")] + Self.batchArguments
            try await TestNode.with(backend, extraArguments: arguments, dataDirectory: data) { node in
                for prover in provers { try await prover.waitUntilReady(node.mtlsClient) }
                // 600 kB in the legacy profile: a dag-pb root over 256 KiB dag-pb leaves.
                let bytes = randomBytes(600_000, seed: 46)
                let cid = try await node.add(bytes, query: "profile=unixfs-v0-2015").cid
                #expect(try await node.json(.POST, "/v1/commitments", CommitmentRequest(cid: cid)).status == .accepted)
                let sealed = try await Self.waitForCommitment(node, cid)
                #expect(sealed.status == .done)
                let root = try CommitmentTree(content: bytes).root

                var ids: [String] = []
                for round in 0..<6 {
                    let reply = try await node.json(.POST, "/v1/proofs", ProofRequest(cid: cid, beacon: String(format: "be%04x", round), count: 3))
                    #expect(reply.status == .accepted, "\(reply.text)")
                    ids.append(try reply.decode(ProofRecord.self).id)
                }
                // Wait until a prover holds a job (it is running there), then kill that prover.
                let victim = try await poll("a proof job running on a prover") { () -> ProofRecord? in
                    for id in ids {
                        let record = try await Self.proofRecord(node, id)
                        if record.status == .running, record.lastProver != nil { return record }
                    }
                    return nil
                }
                let killed = try #require(provers.first { $0.url == victim.lastProver })
                killed.kill()

                let finished = try await Self.waitForAll(ids) { try await Self.proofRecord(node, $0) }
                for record in finished {
                    #expect(record.status == .done, "job \(record.id) ended \(record.status): \(record.error ?? "")")
                    #expect(record.attempts >= 1 && record.attempts <= 5)
                    let bundle = try #require(record.bundle)
                    let beacon = try #require(HexBytes.decode(record.beacon))
                    let indices = try StorageChallenge.chunkIndices(beacon: beacon, root: root, chunkCount: sealed.chunkCount.map(Int.init) ?? 0, count: 3)
                    #expect(record.chunkIndices == indices)
                    #expect(bundle.publicSignals == SnarkjsPublicSignals.encode(try BatchChunkCircuit(count: 3).publicInputs(root: root, chunkIndices: indices)))
                    #expect(try await Self.verify(node, VerifyRequest(circuit: "storage-batch-3", proof: bundle.proof, publicSignals: bundle.publicSignals)).valid)
                }
                let interrupted = try #require(finished.first { $0.id == victim.id })
                #expect(interrupted.attempts >= 2, "the job the killed prover held was not retried (attempts \(interrupted.attempts))")
                #expect(interrupted.lastProver != killed.url, "the interrupted job must finish on another prover")
                #expect(Set(finished.compactMap(\.lastProver)).count >= 2, "jobs were not spread over the provers")
                // Exactly once: nothing changes after completion.
                for record in finished {
                    #expect(try await Self.proofRecord(node, record.id) == record, "job \(record.id) changed after it was done")
                }
            }
        }
    }

    // MARK: command line

    @Test("pakit add, seal, prove --out and verify as processes against pakit up")
    func commandLine() async throws {
        let data = try Self.freshDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try await withProvers(["cli"], caDirectory: "\(data)/tls") { provers in
            let up = Process()
            up.executableURL = URL(fileURLWithPath: try BuiltProduct.path("pakit"))
            up.arguments = ["up", "--data", data, "--port", "0"]
            up.environment = ProcessInfo.processInfo.environment.merging(
                ["PAKIT_STORAGE_PROVERS": provers[0].url, "PAKIT_PROOF_BATCH_SIZE": "3"]) { _, new in new }
            up.standardOutput = FileHandle.nullDevice
            up.standardError = FileHandle.nullDevice
            try up.run()
            defer { if up.isRunning { kill(up.processIdentifier, SIGKILL) } }
            _ = try await CLITests.waitForURL(data, while: up)
            let client = ServiceClient.make(tls: try LocalCertificateAuthority.loadOrCreate(in: "\(data)/tls").certificate(for: "cli").clientConfiguration())
            do {
                try await provers[0].waitUntilReady(client)
            } catch {
                try? await client.shutdown()
                throw error
            }
            try? await client.shutdown()

            let bytes = randomBytes(70_000, seed: 47)
            let tree = try CommitmentTree(content: bytes)
            try Data(bytes).write(to: URL(fileURLWithPath: "\(data)/data.bin"))
            let cid = try await CLITests.pakit(["add", "-q", "\(data)/data.bin"], data: data).trimmingCharacters(in: .whitespacesAndNewlines)
            let sealed = try await CLITests.pakit(["seal", cid], data: data)
            #expect(sealed.contains("root: \(tree.root.decimalString)"), "pakit seal printed \(sealed)")
            #expect(sealed.contains("chunks: \(tree.chunkCount)"))

            let out = "\(data)/proof"
            let proved = try await CLITests.pakit(["prove", cid, "--beacon", "0a0b0c", "--count", "3", "--out", out], data: data)
            let words = proved.split(separator: "\n").first?.split(separator: " ") ?? []
            let id = try #require(words.count > 1 && words[0] == "proof" ? String(words[1]) : nil, "pakit prove printed \(proved)")
            #expect(proved.contains("proof \(id) done"))
            #expect((try? Data(contentsOf: URL(fileURLWithPath: "\(out)/proof.bin")))?.count == 256)
            let proof = try JSONDecoder().decode(SnarkjsProof.self, from: Data(contentsOf: URL(fileURLWithPath: "\(out)/proof.json")))
            let signals = try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: "\(out)/public.json")))
            let key = try JSONDecoder().decode(SnarkjsVerifyingKey.self, from: Data(contentsOf: URL(fileURLWithPath: "\(out)/verification_key.json")))
            let indices = try StorageChallenge.chunkIndices(beacon: [0x0a, 0x0b, 0x0c], root: tree.root, chunkCount: tree.chunkCount, count: 3)
            #expect(signals == SnarkjsPublicSignals.encode(try BatchChunkCircuit(count: 3).publicInputs(root: tree.root, chunkIndices: indices)))
            // The exported files verify with PakitZK alone, as any snarkjs-compatible verifier would.
            #expect(try Groth16.verify(Groth16Proof(snarkjs: proof), publicInputs: SnarkjsPublicSignals.decode(signals),
                                       key: Groth16PreparedVerifyingKey(Groth16VerifyingKey(snarkjs: key))))

            #expect(try await CLITests.pakit(["verify", id], data: data).hasPrefix("valid"))
            #expect(try await CLITests.pakit(["verify", "--proof", "\(out)/proof.json", "--public", "\(out)/public.json", "--circuit", "storage-batch-3"], data: data).hasPrefix("valid"))
            #expect(try await CLITests.pakit(["verify", "--proof", "\(out)/proof.json", "--public", "\(out)/public.json", "--key", "\(out)/verification_key.json"], data: data).hasPrefix("valid"))
            var tampered = signals
            tampered[1] = tampered[1] == "1" ? "2" : "1"
            try JSONEncoder().encode(tampered).write(to: URL(fileURLWithPath: "\(out)/tampered.json"))
            let invalid = try await CLITests.run(["verify", "--proof", "\(out)/proof.json", "--public", "\(out)/tampered.json", "--circuit", "storage-batch-3", "--data", data])
            #expect(invalid.status == 1, "a tampered statement must exit 1")
            #expect(String(decoding: invalid.stdout, as: UTF8.self).hasPrefix("invalid"))

            let explicit = try await CLITests.pakit(["prove", cid, "--beacon", "0a", "--block", "1", "0", "1", "--no-wait"], data: data)
            #expect(explicit.hasPrefix("proof ") && explicit.contains("(storage-batch-3"), "pakit prove --block printed \(explicit)")
            let refused = try await CLITests.run(["prove", cid, "--beacon", "zz", "--count", "1", "--data", data])
            #expect(refused.status != 0 && refused.stderr.contains("beacon"), "a bad beacon must fail with one clear line: \(refused.stderr)")

            await up.terminated()
            #expect(up.terminationStatus == 0)
        }
    }

    // MARK: claims

    @Test("proof jobs on the job queue: concurrent claims take each exactly once; a lost claim can neither renew nor finish", arguments: Backend.available)
    func concurrentClaims(backend: Backend) async throws {
        try await TestNode.with(backend) { node in
            let url = node.node.configuration.databaseURL
            let database = try await SQLDatabases.open(url: url, logger: Logger(label: "test"))
            let store = ProofJobStore(database: database, queue: JobQueue(database: database))
            let cid = CID.raw(sha256Of: Array("claims".utf8))
            // A kind no runner of the node handles, so only the claimers below take these jobs.
            let kind = "test.claims"
            for _ in 0..<40 {
                try await store.queue.enqueue(JobRequest(kind: kind, payload: "{}"))
            }
            // Eight runners on their own connections race for the jobs.
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for claimer in 0..<8 {
                    group.addTask {
                        let own = JobQueue(database: try await SQLDatabases.open(url: url, logger: Logger(label: "test")))
                        var claimed: [String] = []
                        while let claim = try await own.claim(kinds: [kind], holder: "test/\(claimer)", lease: .seconds(60)) {
                            claimed.append(claim.id)
                        }
                        await own.database.close()
                        return claimed
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(claims.count == 40 && Set(claims).count == 40, "each job must be claimed exactly once (got \(claims.count) claims)")

            // A proof job whose lease expired passes to a new claim; the old claim is then powerless.
            let id = ProofJobStore.newJobID()
            let created = try await store.createProofJob(id: id, cid: cid, circuit: "storage-single", root: "1", beacon: "01", blocks: [0], chunkIndices: [0])
            #expect(created.status == .queued && created.id == id && created.chunkIndices == [0])
            // The node's own runner has no provers and claims nothing. A queue whose clock runs
            // two minutes ahead sees the first claim's one-minute lease as expired.
            let first = try #require(try await store.queue.claim(kinds: ["storage.prove"], holder: "test/old", lease: .seconds(60)))
            #expect(first.id == id)
            let ahead = JobQueue(database: database) { JobQueue.systemMilliseconds() + 120_000 }
            let second = try #require(try await ahead.claim(kinds: ["storage.prove"], holder: "test/new", lease: .seconds(60)))
            #expect(second.id == id, "a job whose lease expired must be claimable")
            await #expect(throws: JobQueueError.self) { try await store.queue.heartbeat(first, lease: .seconds(60)) }
            await #expect(throws: JobQueueError.self) { try await store.queue.complete(first, result: "{}") }
            let bundle = ProofBundle(circuit: "storage-single", proof: SnarkjsProof(piA: [], piB: [], piC: []), publicSignals: [],
                                     proofHex: "", compressedHex: "", verifyingKeySha256: "")
            try await store.queue.complete(second, result: ProofJobStore.json(bundle))
            await #expect(throws: JobQueueError.self, "a job finishes once") { try await store.queue.complete(second, result: "{}") }
            let done = try #require(try await store.job(id))
            #expect(done.status == .done && done.record.bundle == bundle)
            await database.close()
        }
    }

    // MARK: helpers

    static func freshDataDirectory() throws -> String {
        let data = NSTemporaryDirectory() + "pakit-proofs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: data + "/storage", withIntermediateDirectories: true)
        return data
    }

    static func waitForCommitment(_ node: TestNode, _ cid: String) async throws -> CommitmentResponse {
        try await poll("sealing \(cid)") { () -> CommitmentResponse? in
            let reply = try await node.send(.GET, "/v1/commitments/\(cid)", token: nil)
            guard reply.status == .ok else { throw TestFailure("GET commitment: \(reply.status) \(reply.text)") }
            let commitment = try reply.decode(CommitmentResponse.self)
            return commitment.status == .queued || commitment.status == .running ? nil : commitment
        }
    }

    static func proofRecord(_ node: TestNode, _ id: String) async throws -> ProofRecord {
        let reply = try await node.send(.GET, "/v1/proofs/\(id)", token: nil)
        guard reply.status == .ok else { throw TestFailure("GET proof \(id): \(reply.status) \(reply.text)") }
        return try reply.decode(ProofRecord.self)
    }

    /// Submits a proof request and waits for the job to finish.
    static func prove(_ node: TestNode, _ request: ProofRequest) async throws -> ProofRecord {
        let reply = try await node.json(.POST, "/v1/proofs", request)
        guard reply.status == .accepted else { throw TestFailure("POST /v1/proofs: \(reply.status) \(reply.text)") }
        let queued = try reply.decode(ProofRecord.self)
        let record = try await poll("proof \(queued.id)") { () -> ProofRecord? in
            let record = try await proofRecord(node, queued.id)
            return record.status == .queued || record.status == .running ? nil : record
        }
        guard record.status == .done else { throw TestFailure("proof \(record.id) \(record.status): \(record.error ?? "")") }
        return record
    }

    static func waitForAll(_ ids: [String], _ fetch: (String) async throws -> ProofRecord) async throws -> [ProofRecord] {
        try await poll("every proof job to finish") { () -> [ProofRecord]? in
            var records: [ProofRecord] = []
            for id in ids {
                let record = try await fetch(id)
                if record.status == .queued || record.status == .running { return nil }
                records.append(record)
            }
            return records
        }
    }

    static func verify(_ node: TestNode, _ request: VerifyRequest) async throws -> VerifyResponse {
        // Anyone may verify against a published circuit key; a caller's own key needs a read token.
        let reply = try await node.json(.POST, "/v1/proofs/verify", request, token: request.verifyingKey == nil ? nil : TestNode.admin)
        guard reply.status == .ok else { throw TestFailure("POST /v1/proofs/verify: \(reply.status) \(reply.text)") }
        return try reply.decode(VerifyResponse.self)
    }

    static func rowCounts(_ database: any SQLDatabase) async throws -> [Int64] {
        [
            try await database.read("SELECT COUNT(*) AS n FROM jobs").first?.int("n") ?? -1,
            try await database.read("SELECT COUNT(*) AS n FROM commitments").first?.int("n") ?? -1,
        ]
    }
}

/// Polls `check` every 100 ms until it returns a value, failing after `timeout`.
func poll<T>(_ what: String, timeout: Duration = .seconds(300), _ check: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try await check() { return value }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestFailure("timed out after \(timeout) waiting for \(what)")
}

/// Hex in tests.
enum HexBytes {
    static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return try? stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { throw TestFailure("hex") }
            return byte
        }
    }
}

/// A `pakit-storage` process reached over HTTPS with the admin token (and a client
/// certificate from its CA for provers' readiness).
struct RemoteStorage {
    let url: String
    let token: String
    let client: HTTPClient
    let mtlsClient: HTTPClient

    init(_ process: StorageProcess, data: String) async throws {
        url = try await process.waitForURL()
        token = try String(contentsOfFile: "\(data)/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        client = try StorageProcess.client(dataDirectory: data)
        mtlsClient = ServiceClient.make(tls: try LocalCertificateAuthority.loadOrCreate(in: "\(data)/tls").certificate(for: "cli").clientConfiguration())
    }

    func shutdown() async {
        try? await client.shutdown()
        try? await mtlsClient.shutdown()
    }

    func call(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> (status: HTTPResponseStatus, body: [UInt8]) {
        var request = HTTPClientRequest(url: url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        return (response.status, Array(try await response.body.collect(upTo: 1 << 24).readableBytesView))
    }

    func call<B: Encodable>(_ method: HTTPMethod, _ path: String, _ body: B) async throws -> (status: HTTPResponseStatus, body: [UInt8]) {
        try await call(method, path, body: Array(try JSONEncoder().encode(body)))
    }

    func decode<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String) async throws -> T {
        let (status, body) = try await call(method, path)
        guard (200..<300).contains(status.code) else { throw TestFailure("\(method) \(path): \(status) \(String(decoding: body, as: UTF8.self))") }
        return try JSONDecoder().decode(T.self, from: Data(body))
    }

    func decode<T: Decodable, B: Encodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, _ value: B) async throws -> T {
        let (status, body) = try await call(method, path, value)
        guard (200..<300).contains(status.code) else { throw TestFailure("\(method) \(path): \(status) \(String(decoding: body, as: UTF8.self))") }
        return try JSONDecoder().decode(T.self, from: Data(body))
    }

    func add(_ bytes: [UInt8]) async throws -> String {
        var request = HTTPClientRequest(url: url + "/v1/files")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else { throw TestFailure("add: \(response.status)") }
        return try JSONDecoder().decode(FileAddResponse.self, from: Data(buffer: body)).cid
    }
}

extension TestNode {
    /// A token with `scopes`.
    func createToken(scopes: [String]) async throws -> String {
        let reply = try await json(.POST, "/v1/tokens", TokenCreateRequest(name: "proof-tests", scopes: scopes))
        guard reply.status == .created else { throw TestFailure("token: \(reply.status) \(reply.text)") }
        return try reply.decode(TokenCreateResponse.self).token
    }
}
