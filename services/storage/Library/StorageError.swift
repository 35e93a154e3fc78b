import HTTPTypes
import PakitCore
import PakitHTTPServer

/// The storage service's typed errors, mapped once to status + envelope code.
enum StorageError: Error, Sendable {
    case invalidCID(String)
    case invalidParameter(String)
    case notFound(String)
    case tooLarge(String)
    case hashMismatch(String)
    case invalidContent(String)
    case badRange(size: UInt64)
    case unauthorized(String)
    case forbidden(String)
    case unavailable(String)
    case internalFailure(String)
    /// Proving needs a finished commitment (409 `not_sealed`).
    case notSealed(String)
    /// No prover is configured, or none answered (503 `no_prover`).
    case noProver(String)
    /// The provers do not serve this circuit (404 `unknown_circuit`).
    case unknownCircuit(String)
    /// Refused by a runtime check (a missing scope): its status and code pass through.
    case refused(ServiceError)
    /// A job that is already done, failed or cancelled.
    case jobFinished(String)
    /// This node does not take the replica asked for (403 or 507, `replica_refused`).
    case replicaRefused(HTTPResponse.Status, String)
    /// A block this node lacks was not fetched from the network in time (504 `fetch_timeout`).
    case fetchTimeout(String)

    var serviceError: ServiceError {
        switch self {
        case .invalidCID(let m): ServiceError(.badRequest, "invalid_cid", m)
        case .invalidParameter(let m): ServiceError(.badRequest, "invalid_parameter", m)
        case .notFound(let m): ServiceError(.notFound, "not_found", m)
        case .tooLarge(let m): ServiceError(.contentTooLarge, "too_large", m)
        case .hashMismatch(let m): ServiceError(.unprocessableContent, "hash_mismatch", m)
        case .invalidContent(let m): ServiceError(.unprocessableContent, "invalid_content", m)
        case .badRange(let size):
            { var e = ServiceError(.rangeNotSatisfiable, "bad_range", "range not satisfiable for \(size) bytes"); e.headers[.contentRange] = "bytes */\(size)"; return e }()
        case .unauthorized(let m): ServiceError(.unauthorized, "unauthorized", m)
        case .forbidden(let m): ServiceError(.forbidden, "forbidden", m)
        case .unavailable(let m): ServiceError(.serviceUnavailable, "unavailable", m)
        case .internalFailure(let m): ServiceError(.internalServerError, "internal", m)
        case .notSealed(let m): ServiceError(.conflict, "not_sealed", m)
        case .noProver(let m): ServiceError(.serviceUnavailable, "no_prover", m)
        case .unknownCircuit(let m): ServiceError(.notFound, "unknown_circuit", m)
        case .refused(let error): error
        case .jobFinished(let m): ServiceError(.conflict, "job_finished", m)
        case .fetchTimeout(let m): ServiceError(.gatewayTimeout, "fetch_timeout", m)
        case .replicaRefused(let status, let m): ServiceError(status, "replica_refused", m)
        }
    }

    static func parseCID(_ text: String) throws(StorageError) -> CID {
        do {
            return try CID(text)
        } catch {
            throw .invalidCID("'\(text.prefix(100))' is not a valid CID: \(error.message)")
        }
    }
}
