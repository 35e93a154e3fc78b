import Foundation
import Hummingbird
import PakitContracts
import PakitCore
import PakitHTTPServer
import PakitZK

/// `POST /v1/commitments`, `GET /v1/commitments/{cid}`, `POST /v1/proofs`,
/// `GET /v1/proofs/{id}`, `GET /v1/proofs/{id}/verification-key`, `POST /v1/proofs/verify`.
///
/// Sealing and proving are durable jobs (`Proofs/ProofJobRunner.swift`): the POSTs queue a
/// job and answer 202; the GETs report progress and, once done, the result.
extension StorageNode {
    func addProofRoutes(to router: Router<ServiceRequestContext>) {
        router.post("/v1/commitments") { request, context in
            try await handle {
                try context.require(.write)
                try self.requireProvers()
                let body = try await request.decode(as: CommitmentRequest.self, context: context)
                let cid = try StorageError.parseCID(body.cid)
                try await self.checkSealable(cid)
                let (row, created) = try await self.proofJobs.requestCommitment(cid)
                if created { self.jobRunner.wake() }
                return try jsonResponse(row.response, status: row.status == .done ? .ok : .accepted)
            }
        }
        router.get("/v1/commitments/:cid") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let cid = try context.cidParameter()
                guard let row = try await self.proofJobs.commitment(cid) else {
                    throw StorageError.notFound("\(cid) has no commitment; POST /v1/commitments seals it")
                }
                return try jsonResponse(row.response)
            }
        }
        router.post("/v1/proofs") { request, context in
            try await handle {
                try context.require(.write)
                try self.requireProvers()
                let body = try await request.decode(as: ProofRequest.self, context: context)
                let cid = try StorageError.parseCID(body.cid)
                guard let commitment = try await self.proofJobs.commitment(cid) else {
                    _ = try await self.reader.localOnly.node(cid)  // 404 when the content is not stored here at all
                    throw StorageError.notSealed("\(cid) is not sealed; POST /v1/commitments first")
                }
                guard commitment.status == .done, let rootText = commitment.root, let chunkCount = commitment.chunkCount,
                      let root = Fr(decimal: rootText)
                else {
                    throw StorageError.notSealed("\(cid) is not sealed yet (its commitment is \(commitment.status.rawValue))")
                }
                let challenge = try ProofChallenge(body, root: root, chunkCount: chunkCount, batchSize: self.configuration.proofBatchSize)
                let row = try await self.proofJobs.createProofJob(
                    id: ProofJobStore.newJobID(), cid: cid, circuit: challenge.circuit.name, root: rootText,
                    beacon: Hex.encode(challenge.beacon), blocks: challenge.blocks, chunkIndices: challenge.chunkIndices)
                self.jobRunner.wake()
                return try jsonResponse(row.record, status: .accepted)
            }
        }
        router.post("/v1/proofs/verify") { request, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                // Pairings are the most CPU one request can ask for: counted per client.
                try self.verifyLimiter.check(context.rateLimitKey, what: "verify")
                let body = try await request.decode(as: VerifyRequest.self, context: context)
                // A caller's own key can be any size: only for callers with a read token.
                if body.verifyingKey != nil { try context.require(.read) }
                return try jsonResponse(try await self.verify(body))
            }
        }
        router.get("/v1/proofs/:id") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                return try jsonResponse(try await self.proofJob(context).record)
            }
        }
        router.get("/v1/proofs/:id/verification-key") { _, context in
            try await handle {
                if self.configuration.isPrivate { try context.require(.read) }
                let job = try await self.proofJob(context)
                guard job.status == .done, let bundle = job.record.bundle else {
                    throw StorageError.notSealed("proof \(job.id) is \(job.status.rawValue); its key is known once it is done")
                }
                let entry = try await self.publishedKey(circuit: bundle.circuit, sha256: bundle.verifyingKeySha256, preferring: job.lastProver)
                return try jsonResponse(entry.response)
            }
        }
    }

    private func requireProvers() throws(StorageError) {
        guard !configuration.provers.isEmpty else {
            throw .noProver("no prover is configured (setting provers / PAKIT_STORAGE_PROVERS)")
        }
    }

    /// The content must be a stored file of 1 byte … one tree's capacity.
    private func checkSealable(_ cid: CID) async throws(StorageError) {
        let node = try await reader(under: cid).node(cid)
        guard let size = node.fileSize else {
            throw .invalidContent("\(cid) is not a file; only files can be sealed")
        }
        guard size > 0 else { throw .invalidContent("\(cid) is empty; a commitment needs at least one byte") }
        guard size <= UInt64(StorageProofParameters.byteCapacity) else {
            throw .tooLarge("\(cid) has \(size) bytes; one commitment covers at most \(StorageProofParameters.byteCapacity)")
        }
    }

    private func proofJob(_ context: ServiceRequestContext) async throws -> ProofJobRow {
        let id = context.parameters.get("id") ?? ""
        guard id.utf8.count == 32, id.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }) else {
            throw StorageError.invalidParameter("a proof id is 32 lowercase hex digits")
        }
        guard let job = try await proofJobs.job(id), job.kind == .prove else { throw StorageError.notFound("no proof \(id)") }
        return job
    }

    /// The published key with hash `sha256`, from the cache or the provers (`preferring` first).
    private func publishedKey(circuit: String, sha256: String, preferring: String?) async throws -> VerifyingKeyCache.Entry {
        if let entry = await verifyingKeys.cached(sha256: sha256) { return entry }
        var order = await proverPool.preferredOrder()
        if let preferring, let index = order.firstIndex(of: preferring) { order.insert(order.remove(at: index), at: 0) }
        var lastError = "no prover is configured"
        for prover in order {
            do {
                return try await verifyingKeys.key(circuit: circuit, sha256: sha256, from: prover)
            } catch {
                lastError = error.message
            }
        }
        throw StorageError.noProver("no prover publishes the key \(sha256) of \(circuit) now: \(lastError)")
    }

    /// `POST /v1/proofs/verify`: verified here with PakitZK against the key the request gives,
    /// or the key the provers publish for the named circuit. A proof or public signals that do
    /// not parse are answered `valid: false` with the reason; a request that names no key is 400.
    func verify(_ body: VerifyRequest) async throws -> VerifyResponse {
        guard body.proof != nil || body.proofHex != nil else {
            throw StorageError.invalidParameter("give the proof as proof (snarkjs JSON) or proofHex")
        }
        // Public-input counts are checked before any curve arithmetic: only a known
        // circuit's count (or the caller key's own, within the largest circuit's) is accepted.
        // A well-formed request whose counts do not fit is 422: no schema can say this.
        let largest = StorageCircuit.batch(StorageCircuit.maximumBatchSize).publicInputCount
        let prepared: Groth16PreparedVerifyingKey
        if let given = body.verifyingKey {
            guard given.ic.count >= 1, given.ic.count - 1 <= largest, given.nPublic == given.ic.count - 1 else {
                throw StorageError.invalidContent("verifyingKey must have nPublic = IC length - 1, at most \(largest) public inputs")
            }
            guard body.publicSignals.count == given.nPublic else {
                throw StorageError.invalidContent("verifyingKey takes \(given.nPublic) public signals, got \(body.publicSignals.count)")
            }
            // Parsing checks curve points, preparing computes a pairing: compute threads.
            prepared = try await executors.compute.run { () throws(StorageError) -> Groth16PreparedVerifyingKey in
                do {
                    return try Groth16PreparedVerifyingKey(try Groth16VerifyingKey(snarkjs: given))
                } catch {
                    throw .invalidParameter("verifyingKey is not a usable snarkjs Groth16 key: \(error)")
                }
            }
        } else if let name = body.circuit {
            guard let circuit = StorageCircuit(name: name) else {
                throw StorageError.invalidParameter("circuit must be storage-single or storage-batch-<n>, got '\(name.prefix(60))'")
            }
            guard body.publicSignals.count == circuit.publicInputCount else {
                throw StorageError.invalidContent("\(name) takes \(circuit.publicInputCount) public signals, got \(body.publicSignals.count)")
            }
            try requireProvers()
            do {
                prepared = try await verifyingKeys.currentKey(circuit: name, provers: await proverPool.preferredOrder()).prepared
            } catch {
                if case .refused(404) = error.kind { throw StorageError.unknownCircuit("no prover serves \(name)") }
                throw StorageError.noProver("the key of \(name) cannot be fetched from any prover: \(error.message)")
            }
        } else {
            throw StorageError.invalidParameter("name the circuit (its published key is used) or give verifyingKey")
        }
        // Decoding the proof checks curve points, verifying is a multi-pairing: compute threads.
        return await executors.compute.run { Self.check(body, key: prepared) }
    }

    /// The verdict on `body`'s proof and public signals under `prepared`. CPU-bound.
    static func check(_ body: VerifyRequest, key prepared: Groth16PreparedVerifyingKey) -> VerifyResponse {
        let development = prepared.key.isDevelopment
        let proof: Groth16Proof
        do {
            if let snarkjs = body.proof {
                proof = try Groth16Proof(snarkjs: snarkjs)
                if let hex = body.proofHex, try Groth16Proof(hex: hex) != proof {
                    return VerifyResponse(valid: false, reason: "proof and proofHex are different proofs", development: development)
                }
            } else {
                proof = try Groth16Proof(hex: body.proofHex ?? "")
            }
        } catch {
            return VerifyResponse(valid: false, reason: "the proof does not parse: \(error)", development: development)
        }
        let inputs: [Fr]
        do {
            inputs = try SnarkjsPublicSignals.decode(body.publicSignals)
        } catch {
            return VerifyResponse(valid: false, reason: "the public signals do not parse: \(error)", development: development)
        }
        guard inputs.count == prepared.key.publicInputCount else {
            return VerifyResponse(valid: false, reason: "the key takes \(prepared.key.publicInputCount) public signals, got \(inputs.count)", development: development)
        }
        let valid: Bool
        do {
            valid = try Groth16.verify(proof, publicInputs: inputs, key: prepared)
        } catch {
            return VerifyResponse(valid: false, reason: "\(error)", development: development)
        }
        return VerifyResponse(valid: valid, reason: valid ? nil : "the pairing check fails: the proof does not prove these public signals under this key",
                              development: development)
    }
}
