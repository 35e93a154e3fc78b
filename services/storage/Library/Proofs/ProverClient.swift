import AsyncHTTPClient
import PakitContracts
import PakitHTTPClient
import PakitTLS

/// Why a call to a prover did not give a usable answer. `retryable` failures are the
/// instance's (it is down, overloaded, or answered wrongly) and go to another instance;
/// the others are about the request and would fail anywhere.
struct ProverCallError: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        /// Connection refused or reset, timeout, stream closed, prover died mid-request.
        case transport
        /// 5xx other than 503.
        case serverError
        /// 503 (`busy`, `not_ready`): not now; try elsewhere or later without blaming the job.
        case unavailable(retryAfterSeconds: Int?)
        /// 4xx: the request itself is refused (a 404 means the instance lacks the circuit).
        case refused(status: Int)
        /// 2xx whose body does not check out (wrong tree, proof that does not verify).
        case badAnswer
    }

    let kind: Kind
    let message: String

    var description: String { message }

    /// Worth another attempt on another instance.
    var retryable: Bool {
        switch kind {
        case .transport, .serverError, .unavailable, .badAnswer: true
        case .refused(let status): status == 404 || status == 408 || status == 429
        }
    }
}

/// The prover's v1 API as storage calls it.
protocol ProverAPI: Sendable {
    /// `POST /v1/seal` with the content as the body; returns the serialized tree and the
    /// `Pakit-Commitment-*` header values.
    func seal(_ prover: String, body: HTTPClientRequest.Body, byteCount: Int, maximumTreeBytes: Int) async throws(ProverCallError)
        -> (tree: [UInt8], root: String?, chunkCount: Int?, byteCount: Int?)
    /// `POST /v1/prove`.
    func prove(_ prover: String, _ request: ProveRequest) async throws(ProverCallError) -> ProveResponse
    /// `GET /v1/keys/{circuit}`.
    func verifyingKey(_ prover: String, circuit: String) async throws(ProverCallError) -> VerifyingKeyResponse
}

/// `ProverAPI` over HTTP/2 with mutual TLS: storage presents its node-CA certificate. The
/// shared `ServiceClient` does the HTTP; it makes one attempt per call, because `withAttempts`
/// in the job runner decides where a failed call goes next.
final class HTTPProverClient: ProverAPI {
    let client: ServiceClient

    init(tls: TLSPaths, timeoutSeconds: Int) throws {
        client = try ServiceClient(tls: tls, retry: .noRetries, timeout: .seconds(timeoutSeconds))
    }

    func shutdown() async {
        await client.shutdown()
    }

    func seal(_ prover: String, body: HTTPClientRequest.Body, byteCount: Int, maximumTreeBytes: Int) async throws(ProverCallError)
        -> (tree: [UInt8], root: String?, chunkCount: Int?, byteCount: Int?) {
        let request = ServiceRequest(.POST, "/v1/seal", headers: ["Content-Type": "application/octet-stream"], body: .stream(body),
                                     responseLimit: maximumTreeBytes)
        let answer: ServiceResponse
        do throws(ServiceCallError) {
            answer = try await client.send(request, to: prover)
        } catch {
            throw ProverCallError(error)
        }
        let headers = answer.headers
        return (answer.bytes, headers.first(name: "Pakit-Commitment-Root"),
                headers.first(name: "Pakit-Chunk-Count").flatMap { Int($0) }, headers.first(name: "Pakit-Byte-Count").flatMap { Int($0) })
    }

    func prove(_ prover: String, _ body: ProveRequest) async throws(ProverCallError) -> ProveResponse {
        do throws(ServiceCallError) {
            let request = try ServiceRequest.json(.POST, "/v1/prove", body: body, responseLimit: 1 << 20)
            return try await client.call(request, to: prover, as: ProveResponse.self)
        } catch {
            throw ProverCallError(error)
        }
    }

    func verifyingKey(_ prover: String, circuit: String) async throws(ProverCallError) -> VerifyingKeyResponse {
        do throws(ServiceCallError) {
            return try await client.call(ServiceRequest(.GET, "/v1/keys/\(circuit)", responseLimit: 1 << 20), to: prover,
                                         as: VerifyingKeyResponse.self)
        } catch {
            throw ProverCallError(error)
        }
    }
}

extension ProverCallError {
    /// The prover-seam view of a `ServiceClient` failure.
    init(_ error: ServiceCallError) {
        let kind: Kind = switch error.kind {
        case .transport, .timeout, .cancelled: .transport
        case .server: .serverError
        case .unavailable: .unavailable(retryAfterSeconds: error.retryAfterSeconds)
        case .refused: .refused(status: error.status ?? 400)
        case .invalidRequest: .refused(status: 400)
        case .badAnswer: .badAnswer
        }
        self.init(kind: kind, message: error.description)
    }
}

/// Stands in when no prover is configured: every call fails as unreachable.
struct NoProverClient: ProverAPI {
    private var failure: ProverCallError { ProverCallError(kind: .transport, message: "no prover is configured") }

    func seal(_ prover: String, body: HTTPClientRequest.Body, byteCount: Int, maximumTreeBytes: Int) async throws(ProverCallError)
        -> (tree: [UInt8], root: String?, chunkCount: Int?, byteCount: Int?) { throw failure }
    func prove(_ prover: String, _ request: ProveRequest) async throws(ProverCallError) -> ProveResponse { throw failure }
    func verifyingKey(_ prover: String, circuit: String) async throws(ProverCallError) -> VerifyingKeyResponse { throw failure }
}
