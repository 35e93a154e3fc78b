import Hummingbird
import PakitConcurrency
import PakitContracts
import PakitHTTPServer
import PakitZK

/// `POST /v1/prove`: a storage proof for chunk openings under a root.
extension ProverNode {
    func addProveRoutes(to router: some RouterMethods<ServiceRequestContext>) {
        router.post("/v1/prove") { request, context in
            var circuitLabel = "unknown"
            do {
                // The place in the queue is taken before the body is read: when every place is
                // taken the answer costs nothing and no request body is held.
                let ticket = try self.proofs.admit()
                defer { ticket.finish() }
                let body = try await request.decode(as: ProveRequest.self, context: context)
                if let circuit = StorageCircuit(name: body.circuit), self.configuration.circuits.contains(circuit) {
                    circuitLabel = circuit.name
                }
                let validated = try ProofWork.validate(body) { name throws(ProverError) in try self.keys.keys(for: name) }
                try ProofWork.checkOpenings(validated)
                try await ticket.start()
                let statement = try await onComputeThreads { try await ProofWork.prove(validated) }
                ProverMetrics.proof(circuit: circuitLabel, outcome: "ok")
                ProverMetrics.proving(circuit: circuitLabel, seconds: .milliseconds(statement.milliseconds))
                self.logger.info("proved", metadata: [
                    "circuit": "\(circuitLabel)", "milliseconds": "\(statement.milliseconds)",
                ])
                return try jsonResponse(ProveResponse(
                    bundle: ProofWork.bundle(statement, keys: validated.keys),
                    provingMilliseconds: statement.milliseconds, instance: self.configuration.instance))
            } catch let error as ProverError {
                ProverMetrics.proof(circuit: circuitLabel, outcome: Self.outcome(of: error))
                if case .internalFailure(let message) = error {
                    self.logger.error("proof failed", metadata: ["circuit": "\(circuitLabel)", "error": "\(message)"])
                }
                throw error.serviceError
            } catch {
                ProverMetrics.proof(circuit: circuitLabel, outcome: error is CancellationError ? "cancelled" : "invalid")
                throw error
            }
        }
    }

    static func outcome(of error: ProverError) -> String {
        switch error {
        case .invalidRequest, .invalidParameter, .unknownCircuit, .emptyContent, .tooLarge: "invalid"
        case .unsatisfied: "unsatisfied"
        case .busy: "busy"
        case .notReady: "not_ready"
        case .internalFailure: "failed"
        }
    }
}
