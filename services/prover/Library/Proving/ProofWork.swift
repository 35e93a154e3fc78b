import PakitContracts
import PakitCore
import PakitZK

/// A prove request that passed validation: the circuit's keys, the root and the openings.
struct ValidatedProveRequest: Sendable {
    let keys: CircuitKeys
    let root: Fr
    let openings: [ChunkOpening]
}

/// A proof with its public inputs, verified against the circuit's key.
struct ProvedStatement: Sendable {
    let proof: Groth16Proof
    let publicInputs: [Fr]
    let milliseconds: Double
}

/// Validation, witness building, proving and the self-check, free of HTTP.
enum ProofWork {
    /// Checks a `ProveRequest` field by field and builds the openings, so that a bad request
    /// gets one precise 400 (or 404 for the circuit) before it waits for a proving slot.
    static func validate(_ request: ProveRequest, keys lookup: (String) throws(ProverError) -> CircuitKeys) throws(ProverError) -> ValidatedProveRequest {
        let keys = try lookup(request.circuit)
        let expected = keys.circuit.openings
        guard request.openings.count == expected else {
            throw .invalidRequest("\(keys.circuit) takes exactly \(expected) opening\(expected == 1 ? "" : "s"), got \(request.openings.count)")
        }
        let root = try FieldText.element(request.root, "root")
        var openings: [ChunkOpening] = []
        openings.reserveCapacity(expected)
        for (position, body) in request.openings.enumerated() {
            openings.append(try opening(body, at: "openings[\(position)]"))
        }
        return ValidatedProveRequest(keys: keys, root: root, openings: openings)
    }

    static func opening(_ body: ChunkOpeningBody, at field: String) throws(ProverError) -> ChunkOpening {
        let capacity = UInt64(StorageProofParameters.chunkCapacity)
        guard body.index < capacity else {
            throw .invalidRequest("\(field).index \(body.index) is not below \(capacity) (2^20, the chunks one tree holds)")
        }
        guard body.chunk.utf8.count <= 2 * StorageProofParameters.chunkByteCount + 2, let bytes = Hex.decode(body.chunk) else {
            throw .invalidRequest("\(field).chunk must be hex of at most \(StorageProofParameters.chunkByteCount) bytes")
        }
        guard bytes.count <= StorageProofParameters.chunkByteCount else {
            throw .invalidRequest("\(field).chunk holds \(bytes.count) bytes; a chunk is at most \(StorageProofParameters.chunkByteCount)")
        }
        let depth = StorageProofParameters.treeDepth
        let width = StorageProofParameters.treeArity - 1
        guard body.siblings.count == depth else {
            throw .invalidRequest("\(field).siblings must hold \(depth) levels (leaf upward), got \(body.siblings.count)")
        }
        var siblings: [[Fr]] = []
        siblings.reserveCapacity(depth)
        for (level, nodes) in body.siblings.enumerated() {
            guard nodes.count == width else {
                throw .invalidRequest("\(field).siblings[\(level)] must hold \(width) nodes, got \(nodes.count)")
            }
            var row: [Fr] = []
            for (slot, text) in nodes.enumerated() {
                row.append(try FieldText.element(text, "\(field).siblings[\(level)][\(slot)]"))
            }
            siblings.append(row)
        }
        do {
            return try ChunkOpening(index: body.index, elements: try ChunkEncoding.elements(ofChunk: bytes), siblings: siblings)
        } catch {
            // Unreachable after the checks above; kept as a clear 400 rather than a trap.
            throw .invalidRequest("\(field): \(error)")
        }
    }

    /// Refuses openings that cannot lead to the root, naming the first one, before the
    /// circuit is built: 11 Poseidon hashes per opening instead of a failed proof.
    static func checkOpenings(_ request: ValidatedProveRequest) throws(ProverError) {
        for (position, opening) in request.openings.enumerated() where opening.recomputeRoot() != request.root {
            throw .unsatisfied("openings[\(position)] (chunk \(opening.index)) does not lead to the root: its chunk bytes or siblings are not the ones committed under it")
        }
    }

    /// Builds the circuit, proves, and verifies the proof before anyone sees it.
    static func prove(_ request: ValidatedProveRequest) async throws(ProverError) -> ProvedStatement {
        let started = ContinuousClock.now
        let system: ConstraintSystem
        do {
            system = try request.keys.circuit.synthesize(root: request.root, openings: request.openings)
        } catch {
            throw .invalidRequest("the openings do not fit \(request.keys.circuit): \(error)")
        }
        let proof: Groth16Proof
        do {
            proof = try await Groth16.prove(request.keys.provingKey, system)
        } catch {
            switch error {
            case .unsatisfied(let constraint):
                throw .unsatisfied("the witness violates constraint \(constraint) of \(request.keys.circuit): it does not prove these openings under this root")
            default:
                throw .internalFailure("proving failed: \(error)")
            }
        }
        let elapsed = milliseconds(since: started)
        let inputs = system.publicValues
        let valid: Bool
        do {
            valid = try Groth16.verify(proof, publicInputs: inputs, key: request.keys.prepared)
        } catch {
            throw .internalFailure("the new proof could not be checked: \(error)")
        }
        guard valid else { throw .internalFailure("the new proof failed verification against the circuit's key; it was not returned") }
        return ProvedStatement(proof: proof, publicInputs: inputs, milliseconds: elapsed)
    }

    /// The proof in every exported form.
    static func bundle(_ statement: ProvedStatement, keys: CircuitKeys) -> ProofBundle {
        ProofBundle(
            circuit: keys.circuit.name, proof: statement.proof.snarkjs,
            publicSignals: SnarkjsPublicSignals.encode(statement.publicInputs),
            proofHex: statement.proof.eip197Hex, compressedHex: statement.proof.compressedHex,
            verifyingKeySha256: keys.sha256)
    }
}
