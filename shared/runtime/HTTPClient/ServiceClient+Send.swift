import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PakitContracts

/// Sending one request to one base URL: the deadline, the retry loop, and turning non-2xx
/// answers into `ServiceCallError` from the error envelope.
///
/// A failed attempt is repeated (after `RetryPolicy.delay`) only when the failure is
/// retryable, the body can be sent again, and either the request is idempotent or it provably
/// never reached the peer's handler; and only while the deadline leaves room for the wait.
extension ServiceClient {
    /// Sends `request` to `baseURL` (`https://host:port`) and reads the whole `2xx` answer.
    public func send(_ request: ServiceRequest, to baseURL: String) async throws(ServiceCallError) -> ServiceResponse {
        let deadline = self.deadline(for: request)
        let url = baseURL + request.path
        return try await withRetries(request, deadline: deadline) { () async throws(ServiceCallError) -> ServiceResponse in
            try await self.collectOnce(request, url: url, deadline: deadline)
        }
    }

    /// Sends `request` and hands back the `2xx` answer with its body still arriving (downloads).
    /// Retries cover failures up to the answer's head; reading the body is the caller's.
    public func stream(_ request: ServiceRequest, to baseURL: String) async throws(ServiceCallError) -> ServiceStreamedResponse {
        let deadline = self.deadline(for: request)
        let url = baseURL + request.path
        return try await withRetries(request, deadline: deadline) { () async throws(ServiceCallError) -> ServiceStreamedResponse in
            let response = try await self.executeOnce(request, url: url, deadline: deadline)
            return ServiceStreamedResponse(url: url, status: response.status, headers: response.headers, version: response.version,
                                           body: response.body)
        }
    }

    // MARK: one attempt

    func deadline(for request: ServiceRequest) -> NIODeadline {
        .now() + .nanoseconds((request.timeout ?? timeout).nanoseconds)
    }

    /// One attempt, the `2xx` body collected.
    func collectOnce(_ request: ServiceRequest, url: String, deadline: NIODeadline) async throws(ServiceCallError) -> ServiceResponse {
        let response = try await executeOnce(request, url: url, deadline: deadline)
        do {
            let body = try await response.body.collect(upTo: request.responseLimit)
            return ServiceResponse(url: url, status: response.status, headers: response.headers, version: response.version, body: body)
        } catch is NIOTooManyBytesError {
            throw ServiceCallError(kind: .badAnswer, url: url, status: Int(response.status.code),
                                   message: "the answer is larger than \(request.responseLimit) bytes")
        } catch {
            var failure = TransportFailure.classify(error, url: url)
            failure.mayHaveBeenProcessed = true
            throw failure
        }
    }

    /// One attempt up to a `2xx` head; anything else becomes a `ServiceCallError`.
    func executeOnce(_ request: ServiceRequest, url: String, deadline: NIODeadline) async throws(ServiceCallError) -> HTTPClientResponse {
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = request.method
        outgoing.headers = request.headers
        do {
            outgoing.body = try request.body.make()
        } catch {
            throw ServiceCallError(kind: .invalidRequest, url: url, message: "cannot make the request body: \(error)", mayHaveBeenProcessed: false)
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(outgoing, deadline: deadline)
        } catch {
            throw TransportFailure.classify(error, url: url)
        }
        guard (200..<300).contains(response.status.code) else {
            throw await Self.failure(from: response, url: url)
        }
        return response
    }

    /// The error a non-2xx answer stands for, with the envelope's code and message if it has one.
    static func failure(from response: HTTPClientResponse, url: String) async -> ServiceCallError {
        let status = Int(response.status.code)
        let body = try? await response.body.collect(upTo: 1 << 20)
        let envelope = body.flatMap { try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(buffer: $0)) }
        let kind: ServiceCallError.Kind = switch status {
        case 503: .unavailable
        case 500...: .server
        case 400...: .refused
        default: .badAnswer
        }
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return ServiceCallError(kind: kind, url: url, status: status, code: envelope?.error.code,
                                message: envelope?.error.message ?? "HTTP \(status) \(response.status.reasonPhrase)",
                                retryAfterSeconds: retryAfter)
    }

    // MARK: retries

    func withRetries<T: Sendable>(_ request: ServiceRequest, deadline: NIODeadline,
                                  _ attempt: () async throws(ServiceCallError) -> T) async throws(ServiceCallError) -> T {
        let policy = request.retry ?? retry
        var number = 1
        while true {
            do throws(ServiceCallError) {
                return try await attempt()
            } catch {
                guard number < policy.maximumAttempts, request.allowsRetry(after: error) else { throw error }
                let delay = policy.delay(beforeRetry: number, retryAfter: error.retryAfter)
                guard NIODeadline.now() + .nanoseconds(delay.nanoseconds) < deadline else { throw error }
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    throw ServiceCallError(kind: .cancelled, url: request.path, message: "cancelled while waiting to retry")
                }
                number += 1
            }
        }
    }
}
