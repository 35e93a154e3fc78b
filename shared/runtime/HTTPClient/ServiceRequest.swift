import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The body of a `ServiceRequest`, and whether it can be sent twice.
public enum ServiceRequestBody: Sendable {
    case empty
    /// In memory: replayable.
    case bytes(ByteBuffer)
    /// A stream that can be read once (an upload from standard input, a prover seal body):
    /// a call with such a body is never retried.
    case stream(HTTPClientRequest.Body)
    /// A stream made afresh for each attempt (a file re-opened): replayable.
    case factory(@Sendable () throws -> HTTPClientRequest.Body)

    /// Whether a failed attempt can be followed by another with the same content.
    public var isReplayable: Bool {
        switch self {
        case .empty, .bytes, .factory: true
        case .stream: false
        }
    }

    /// The body for one attempt.
    func make() throws -> HTTPClientRequest.Body? {
        switch self {
        case .empty: nil
        case .bytes(let buffer): .bytes(buffer)
        case .stream(let body): body
        case .factory(let make): try make()
        }
    }
}

/// One call to a service, independent of which instance answers it: the pool convenience sends
/// the same request to another instance when the first fails.
public struct ServiceRequest: Sendable {
    public var method: HTTPMethod
    /// Path and query, appended to the instance's base URL (`/v1/prove`).
    public var path: String
    public var headers: HTTPHeaders
    public var body: ServiceRequestBody
    /// Whether sending it twice has the effect of sending it once. Defaults from the method
    /// (GET, HEAD, PUT, DELETE, OPTIONS); a POST the service treats as idempotent can say so.
    public var idempotent: Bool
    /// The whole call's budget, retries included; nil uses the client's default.
    public var timeout: Duration?
    /// nil uses the client's default.
    public var retry: RetryPolicy?
    /// Most bytes of a collected answer (error bodies are read up to 1 MiB regardless).
    public var responseLimit: Int

    public init(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders = [:], body: ServiceRequestBody = .empty,
                idempotent: Bool? = nil, timeout: Duration? = nil, retry: RetryPolicy? = nil, responseLimit: Int = 64 << 20) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.idempotent = idempotent ?? Self.idempotentMethods.contains(method)
        self.timeout = timeout
        self.retry = retry
        self.responseLimit = responseLimit
    }

    /// A request with `value` as its JSON body.
    public static func json(_ method: HTTPMethod, _ path: String, body value: some Encodable & Sendable, headers: HTTPHeaders = [:],
                            idempotent: Bool? = nil, timeout: Duration? = nil, retry: RetryPolicy? = nil,
                            responseLimit: Int = 64 << 20) throws(ServiceCallError) -> ServiceRequest {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw ServiceCallError(kind: .invalidRequest, url: path, message: "cannot encode the request body: \(error)", mayHaveBeenProcessed: false)
        }
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return ServiceRequest(method, path, headers: headers, body: .bytes(ByteBuffer(data: data)), idempotent: idempotent,
                              timeout: timeout, retry: retry, responseLimit: responseLimit)
    }

    static let idempotentMethods: [HTTPMethod] = [.GET, .HEAD, .PUT, .DELETE, .OPTIONS]

    /// Whether `error` allows sending this request again.
    func allowsRetry(after error: ServiceCallError) -> Bool {
        guard error.retryable, body.isReplayable else { return false }
        return idempotent || !error.mayHaveBeenProcessed
    }
}
