/// A storage-proof circuit by its API name: `storage-single` (one chunk, public [R, i]) or
/// `storage-batch-<n>` (n chunks under one root, public [R, packed indices…]). The one parser
/// of circuit names: the prover serves these, storage asks for them, the CLI names them.
public enum StorageCircuit: Hashable, Sendable, CustomStringConvertible {
    case single
    case batch(Int)

    /// Largest n accepted in `storage-batch-<n>`.
    public static let maximumBatchSize = BatchChunkCircuit.maximumCount

    /// Parses `storage-single` or `storage-batch-<n>` (n in 1…`maximumBatchSize`, no sign or
    /// leading zero, so every circuit has exactly one name).
    public init?(name: String) {
        if name == "storage-single" {
            self = .single
            return
        }
        let prefix = "storage-batch-"
        guard name.hasPrefix(prefix) else { return nil }
        let digits = name.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              digits.first != "0", digits.count <= 5, let count = Int(digits),
              (1...Self.maximumBatchSize).contains(count)
        else { return nil }
        self = .batch(count)
    }

    /// The API name.
    public var name: String {
        switch self {
        case .single: "storage-single"
        case .batch(let count): "storage-batch-\(count)"
        }
    }

    public var description: String { name }

    /// Chunk openings one proof takes.
    public var openings: Int {
        switch self {
        case .single: 1
        case .batch(let count): count
        }
    }

    /// Constraints of the circuit (known without synthesising it).
    public var constraintCount: Int {
        switch self {
        case .single: SingleChunkCircuit.constraintCount
        case .batch(let count): (try? BatchChunkCircuit(count: count))?.constraintCount ?? 0
        }
    }

    /// Public inputs (without the constant wire).
    public var publicInputCount: Int {
        switch self {
        case .single: SingleChunkCircuit.publicInputCount
        case .batch(let count): (try? BatchChunkCircuit(count: count))?.publicInputCount ?? 0
        }
    }

    /// The circuit with all-zero values (key setup only needs the constraints): the same constraints as any real witness
    /// (the circuits are data-independent), for key generation and `.r1cs` export.
    public func setupSystem() throws(StorageProofError) -> ConstraintSystem {
        switch self {
        case .single: try SingleChunkCircuit.synthesize(SingleChunkCircuit.setupWitness)
        case .batch(let count): try BatchChunkCircuit(count: count).synthesizeForSetup()
        }
    }

    /// The circuit with the witness of `openings` under `root`, its public inputs in the
    /// documented order. The caller checked the opening count.
    public func synthesize(root: Fr, openings: [ChunkOpening]) throws(StorageProofError) -> ConstraintSystem {
        switch self {
        case .single:
            guard openings.count == 1 else { throw .wrongChallengeCount(expected: 1, actual: openings.count) }
            return try SingleChunkCircuit.synthesize(SingleChunkWitness(root: root, opening: openings[0]))
        case .batch(let count):
            return try BatchChunkCircuit(count: count).synthesize(BatchChunkWitness(root: root, openings: openings))
        }
    }

    /// The circuit that proves `count` challenges: single for one, else the batch circuit.
    public init(challenges count: Int) {
        self = count == 1 ? .single : .batch(count)
    }

    /// The public inputs a verifier rebuilds from the root and the challenged indices, as
    /// snarkjs `public.json` strings.
    public func publicSignals(root: Fr, chunkIndices: [UInt64]) throws(StorageProofError) -> [String] {
        switch self {
        case .single:
            guard chunkIndices.count == 1 else { throw .wrongChallengeCount(expected: 1, actual: chunkIndices.count) }
            return SnarkjsPublicSignals.encode(try SingleChunkCircuit.publicInputs(root: root, chunkIndex: chunkIndices[0]))
        case .batch(let n):
            return SnarkjsPublicSignals.encode(try BatchChunkCircuit(count: n).publicInputs(root: root, chunkIndices: chunkIndices))
        }
    }
}
