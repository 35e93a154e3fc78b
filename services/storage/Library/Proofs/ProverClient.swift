import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
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

/// `ProverAPI` over HTTP/2 with mutual TLS: storage presents its node-CA certificate.
final class HTTPProverClient: ProverAPI {
    let http: HTTPClient
    let timeout: TimeAmount

    init(tls: TLSPaths, timeoutSeconds: Int) throws {
        http = ServiceClient.make(tls: try tls.clientConfiguration())
        timeout = .seconds(Int64(timeoutSeconds))
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    func seal(_ prover: String, body: HTTPClientRequest.Body, byteCount: Int, maximumTreeBytes: Int) async throws(ProverCallError)
        -> (tree: [UInt8], root: String?, chunkCount: Int?, byteCount: Int?) {
        var request = HTTPClientRequest(url: prover + "/v1/seal")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = body
        let (response, bytes) = try await execute(request, limit: maximumTreeBytes)
        let headers = response.headers
        return (Array(bytes.readableBytesView), headers.first(name: "Pakit-Commitment-Root"),
                headers.first(name: "Pakit-Chunk-Count").flatMap { Int($0) }, headers.first(name: "Pakit-Byte-Count").flatMap { Int($0) })
    }

    func prove(_ prover: String, _ body: ProveRequest) async throws(ProverCallError) -> ProveResponse {
        var request = HTTPClientRequest(url: prover + "/v1/prove")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        do {
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        } catch {
            throw ProverCallError(kind: .refused(status: 400), message: "cannot encode the prove request: \(error)")
        }
        let (_, bytes) = try await execute(request, limit: 1 << 20)
        return try decode(ProveResponse.self, bytes, from: prover)
    }

    func verifyingKey(_ prover: String, circuit: String) async throws(ProverCallError) -> VerifyingKeyResponse {
        let request = HTTPClientRequest(url: prover + "/v1/keys/\(circuit)")
        let (_, bytes) = try await execute(request, limit: 1 << 20)
        return try decode(VerifyingKeyResponse.self, bytes, from: prover)
    }

    /// Runs one request and collects a 2xx body; anything else becomes a `ProverCallError`.
    private func execute(_ request: HTTPClientRequest, limit: Int) async throws(ProverCallError) -> (HTTPClientResponse, ByteBuffer) {
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: limit)
        } catch let error as ProverCallError {
            throw error
        } catch is CancellationError {
            throw ProverCallError(kind: .transport, message: "\(request.url): cancelled")
        } catch {
            throw ProverCallError(kind: .transport, message: "\(request.url): \(error)")
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: Data(buffer: body))
            let detail = envelope.map { "\($0.error.code): \($0.error.message)" } ?? "HTTP \(status)"
            let message = "\(request.url) answered \(status) (\(detail))"
            switch status {
            case 503:
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
                throw ProverCallError(kind: .unavailable(retryAfterSeconds: retryAfter), message: message)
            case 500...:
                throw ProverCallError(kind: .serverError, message: message)
            default:
                throw ProverCallError(kind: .refused(status: status), message: message)
            }
        }
        return (response, body)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer, from prover: String) throws(ProverCallError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw ProverCallError(kind: .badAnswer, message: "\(prover) answered with an unreadable \(T.self): \(error)")
        }
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
