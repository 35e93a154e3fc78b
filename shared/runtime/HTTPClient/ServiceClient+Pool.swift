/// Calls on a pool of instances: the request goes to the pool's best instance, and a failure
/// that allows another attempt (same rules as `send`) is sent to another instance, while the
/// failed one is marked suspect. The deadline covers waiting for a slot and every attempt.
extension ServiceClient {
    /// Sends `request` to the best instance of `pool`, failing over; reads the `2xx` answer.
    public func send<C: Clock>(_ request: ServiceRequest, on pool: InstancePool<C>) async throws(ServiceCallError) -> ServiceResponse
    where C.Duration == Duration {
        let deadline = self.deadline(for: request)
        return try await withInstance(of: pool, for: request) { (instance: String) async throws(ServiceCallError) -> ServiceResponse in
            try await self.collectOnce(request, url: instance + request.path, deadline: deadline)
        }
    }

    /// Sends `request` on `pool` and decodes the answer as `Response`. A `2xx` that does not
    /// decode counts against the instance and is retried elsewhere when the request allows it.
    public func call<C: Clock, Response: Decodable>(_ request: ServiceRequest, on pool: InstancePool<C>,
                                             as type: Response.Type = Response.self) async throws(ServiceCallError) -> Response where C.Duration == Duration {
        let deadline = self.deadline(for: request)
        return try await withInstance(of: pool, for: request) { (instance: String) async throws(ServiceCallError) -> Response in
            try await self.collectOnce(request, url: instance + request.path, deadline: deadline).decode(Response.self)
        }
    }

    /// Runs `attempt` with the base URL of the best instance of `pool`, and again on another
    /// instance after a failure that `request`'s rules allow retrying, up to the request's (or
    /// the client's) `RetryPolicy.maximumAttempts` attempts.
    public func withInstance<C: Clock, T>(of pool: InstancePool<C>, for request: ServiceRequest,
                                   _ attempt: (String) async throws(ServiceCallError) -> T) async throws(ServiceCallError) -> T
    where C.Duration == Duration {
        let policy = request.retry ?? retry
        var excluded = Set<String>()
        var attempts = 0
        while true {
            let instance: String
            do {
                instance = try await pool.acquire(excluding: excluded, timeout: request.timeout ?? timeout)
            } catch is CancellationError {
                throw ServiceCallError(kind: .cancelled, url: request.path, message: "cancelled while waiting for an instance")
            } catch {
                throw ServiceCallError(kind: .timeout, url: request.path, message: "no instance became available before the deadline",
                                       mayHaveBeenProcessed: false)
            }
            do throws(ServiceCallError) {
                let result = try await attempt(instance)
                await pool.release(instance, outcome: .healthy)
                return result
            } catch {
                let outcome: InstancePool<C>.Outcome = Self.poolOutcome(error)
                await pool.release(instance, outcome: outcome)
                attempts += 1
                guard attempts < policy.maximumAttempts, request.allowsRetry(after: error) else { throw error }
                excluded.insert(instance)
            }
        }
    }

    /// What a failure says about the instance's health.
    static func poolOutcome<C: Clock>(_ error: ServiceCallError) -> InstancePool<C>.Outcome where C.Duration == Duration {
        switch error.kind {
        case .transport, .timeout, .server, .badAnswer: .failed
        case .unavailable: .unavailable(retryAfterSeconds: error.retryAfterSeconds)
        case .refused, .cancelled, .invalidRequest: .healthy
        }
    }
}
