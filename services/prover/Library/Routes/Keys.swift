import Hummingbird
import NIOCore
import PakitConcurrency
import PakitContracts
import PakitHTTPServer
import PakitZK

/// `GET /v1/circuits`, `GET /v1/keys/{circuit}`, `GET /v1/keys/{circuit}/r1cs`.
extension ProverNode {
    func addKeyRoutes(to router: some RouterMethods<ServiceRequestContext>) {
        router.get("/v1/circuits") { _, _ in
            try jsonResponse(CircuitList(circuits: self.configuration.circuits.map(self.info(of:))))
        }
        router.get("/v1/keys/:circuit") { _, context in
            try await handle {
                let keys = try self.keys.keys(for: context.parameters.get("circuit") ?? "")
                return try jsonResponse(VerifyingKeyResponse(circuit: keys.info, verifyingKey: keys.snarkjs, sha256: keys.sha256))
            }
        }
        router.get("/v1/keys/:circuit/r1cs") { _, context in
            try await handle {
                let keys = try self.keys.keys(for: context.parameters.get("circuit") ?? "")
                let circuit = keys.circuit
                let bytes = try await onComputeThreads {
                    do {
                        return R1CSFile(try circuit.setupSystem()).serialized()
                    } catch {
                        throw ProverError.internalFailure("cannot build \(circuit): \(error)")
                    }
                }
                return Response(status: .ok, headers: [
                    .contentType: "application/octet-stream",
                    .contentDisposition: "attachment; filename=\"\(circuit.name).r1cs\"",
                ], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        }
    }

    /// What `GET /v1/circuits` says about a circuit: from its keys once ready, else from the
    /// circuit's definition (the key will be a development key in development mode).
    func info(of circuit: StorageCircuit) -> CircuitInfo {
        if case .ready(let keys) = keys.entry(circuit) { return keys.info }
        return CircuitInfo(circuit: circuit.name, constraints: circuit.constraintCount, publicInputs: circuit.publicInputCount,
                           openings: circuit.openings, development: configuration.mode == .development)
    }
}
