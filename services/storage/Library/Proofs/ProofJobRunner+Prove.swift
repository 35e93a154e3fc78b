import PakitConcurrency
import PakitContracts
import PakitCore
import PakitJobs
import PakitZK

/// Proving: the witness comes from storage's own tree and bytes, the proof from a prover, and
/// only a proof that verifies for exactly the challenged statement is stored.
extension ProofJobWork {
    /// Runs a proving job to its end (done, or a `JobEnd`/error for `work` to record).
    func prove(_ job: ProofJobRow, context: JobContext) async throws {
        guard let circuit = job.circuit.flatMap(StorageCircuit.init(name:)), circuit.openings == job.chunkIndices.count else {
            throw JobEnd.failed("the job names no valid circuit for its \(job.chunkIndices.count) challenges")
        }
        guard let commitment = try await store.commitment(job.cid), commitment.status == .done,
              let treeFile = commitment.treeFile, let treeSHA256 = commitment.treeSHA256
        else { throw JobEnd.failed("\(job.cid) has no finished commitment") }
        let tree = try await files.read(name: treeFile, sha256: treeSHA256)
        guard tree.root.decimalString == job.root else {
            throw JobEnd.failed("the stored commitment of \(job.cid) no longer has the root this job was challenged under")
        }
        // Blocks this node lacks are fetched from the providers of the content.
        let reader = self.reader.fetching(under: job.cid)
        let node = try await reader.node(job.cid)
        let size = UInt64(tree.byteCount)
        let width = UInt64(StorageProofParameters.chunkByteCount)
        var openings: [ChunkOpeningBody] = []
        for index in job.chunkIndices {
            let bytes = try await reader.bytes(of: node, range: index * width..<min((index + 1) * width, size))
            let opening = try await executors.compute.run { () throws(JobEnd) -> ChunkOpening in
                do {
                    return try tree.opening(ofChunk: index, bytes: bytes)
                } catch {
                    throw JobEnd.failed("chunk \(index) of \(job.cid) no longer matches its commitment: \(error)")
                }
            }
            openings.append(ChunkOpeningBody(index: index, chunk: Hex.encode(bytes),
                                             siblings: opening.siblings.map { $0.map(\.decimalString) }))
        }
        let expected = try circuit.publicSignals(root: tree.root, chunkIndices: job.chunkIndices)
        let expectedInputs = try SnarkjsPublicSignals.decode(expected)
        let request = ProveRequest(circuit: circuit.name, root: tree.root.decimalString, openings: openings)
        let client = self.client
        let keys = self.keys
        let executors = self.executors
        let bundle = try await withAttempts(job, context: context) { prover in
            let response = try await client.prove(prover, request)
            let bundle = response.bundle
            guard bundle.circuit == circuit.name else {
                throw ProverCallError(kind: .badAnswer, message: "\(prover) proved \(bundle.circuit) instead of \(circuit.name)")
            }
            guard bundle.publicSignals == expected else {
                throw ProverCallError(kind: .badAnswer, message: "\(prover)'s public signals differ from the root and challenged indices")
            }
            let key = try await keys.key(circuit: circuit.name, sha256: bundle.verifyingKeySha256, from: prover)
            // Decoding checks curve points, verifying is a multi-pairing: compute threads.
            let valid = try await executors.compute.run { () throws(ProverCallError) -> Bool in
                do {
                    let proof = try Groth16Proof(snarkjs: bundle.proof)
                    guard try Groth16Proof(hex: bundle.proofHex) == proof, try Groth16Proof(hex: bundle.compressedHex) == proof else {
                        throw ProverCallError(kind: .badAnswer, message: "\(prover)'s bundle encodes different proofs in its forms")
                    }
                    return try Groth16.verify(proof, publicInputs: expectedInputs, key: key.prepared)
                } catch let error as ProverCallError {
                    throw error
                } catch {
                    throw ProverCallError(kind: .badAnswer, message: "\(prover) returned an unreadable proof: \(error)")
                }
            }
            guard valid else {
                throw ProverCallError(kind: .badAnswer, message: "\(prover) returned a proof that does not verify against its published key")
            }
            return bundle
        }
        guard try await store.finishProof(context, bundle: bundle) else { throw JobEnd.claimLost }
        StorageMetrics.proofsDone.increment()
        logger.info("proved", metadata: ["job": "\(job.id)", "cid": "\(job.cid)", "circuit": "\(circuit.name)"])
    }
}
