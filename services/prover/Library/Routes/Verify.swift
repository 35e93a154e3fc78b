import Hummingbird
import PakitConcurrency
import PakitContracts
import PakitHTTPServer

/// `POST /v1/verify`: checks a proof against a circuit's key or a supplied one.
extension ProverNode {
    func addVerifyRoutes(to router: some RouterMethods<ServiceRequestContext>) {
        router.post("/v1/verify") { request, context in
            try await handle {
                let body = try await request.decode(as: VerifyRequest.self, context: context)
                let key = try VerifyWork.keyChoice(body) { name throws(ProverError) in try self.keys.keys(for: name) }
                let mode = self.configuration.mode
                // A few milliseconds of pairings: on the compute threads like all CPU work.
                let answer = try await onComputeThreads { try VerifyWork.verify(body, key: key, mode: mode) }
                ProverMetrics.verification(valid: answer.valid)
                return try jsonResponse(answer)
            }
        }
    }
}
