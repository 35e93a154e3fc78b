/// Quantum (31): records of quantum computations. Its `verification_proof` is a computation
/// commitment (32…256 bytes), not a zero-knowledge proof: no pallet verifies Groth16 proofs.
public enum QuantumCall {
    /// `submit_quantum_job(job_id: BoundedVec<u8, 64>, backend_index: u8, circuit_hash: [u8; 32],
    /// num_qubits: u16, circuit_depth: u32, num_shots: u32)`.
    public static func submitJob(jobID: [UInt8], backend: UInt8, circuitHash: [UInt8], qubits: UInt16, depth: UInt32, shots: UInt32) throws(ChainError) -> [UInt8] {
        try CallArguments.bounded(jobID, "a job id", maximum: 64, minimum: 1)
        try CallArguments.hash(circuitHash, "a circuit hash")
        var writer = start(0)
        writer.byteVector(jobID)
        writer.u8(backend)
        writer.raw(circuitHash)
        writer.u16(qubits)
        writer.u32(depth)
        writer.u32(shots)
        return writer.bytes
    }

    /// `record_quantum_result(job_id, result_data_hash: [u8; 32], verification_proof: BoundedVec<u8, 256>
    /// (≥ 32 bytes), accuracy_score: u8)`: the commitment call.
    public static func recordResult(jobID: [UInt8], resultHash: [UInt8], commitment: [UInt8], accuracy: UInt8) throws(ChainError) -> [UInt8] {
        try CallArguments.bounded(jobID, "a job id", maximum: 64, minimum: 1)
        try CallArguments.hash(resultHash, "a result hash")
        try CallArguments.bounded(commitment, "a verification commitment", maximum: 256, minimum: 32)
        var writer = start(2)
        writer.byteVector(jobID)
        writer.raw(resultHash)
        writer.byteVector(commitment)
        writer.u8(accuracy)
        return writer.bytes
    }

    private static func start(_ index: UInt8) -> ScaleWriter {
        var writer = ScaleWriter()
        writer.u8(Pallet.quantum.rawValue)
        writer.u8(index)
        return writer
    }
}
