import HTTPTypes
import PakitHTTPServer

/// The prover's typed errors, mapped once to status + envelope code (docs/api.md, prover).
enum ProverError: Error, Sendable, Equatable {
    /// The request is malformed: a field is missing, out of range or of the wrong shape.
    case invalidRequest(String)
    /// A query parameter has an unknown value.
    case invalidParameter(String)
    /// `POST /v1/seal` with an empty body.
    case emptyContent
    /// The content exceeds one commitment tree.
    case tooLarge(String)
    /// The circuit is not one this instance serves.
    case unknownCircuit(String)
    /// The witness does not satisfy the circuit (wrong root, sibling or chunk).
    case unsatisfied(String)
    /// Every slot and queue place is taken; retry after the given seconds.
    case busy(retryAfter: Int)
    /// The circuit's keys are still being prepared.
    case notReady(String, retryAfter: Int)
    /// Something that must not happen did (a produced proof failed verification).
    case internalFailure(String)

    var serviceError: ServiceError {
        switch self {
        case .invalidRequest(let m): ServiceError(.badRequest, "invalid_request", m)
        case .invalidParameter(let m): ServiceError(.badRequest, "invalid_parameter", m)
        case .emptyContent: ServiceError(.badRequest, "empty_content", "the body is empty: a commitment needs at least one byte")
        case .tooLarge(let m): ServiceError(.contentTooLarge, "too_large", m)
        case .unknownCircuit(let m): ServiceError(.notFound, "unknown_circuit", m)
        case .unsatisfied(let m): ServiceError(.unprocessableContent, "unsatisfied", m)
        case .busy(let seconds):
            {
                var error = ServiceError(.serviceUnavailable, "busy", "every proving slot and queue place is taken; retry later or use another instance")
                error.headers[.retryAfter] = "\(seconds)"
                return error
            }()
        case .notReady(let m, let seconds):
            {
                var error = ServiceError(.serviceUnavailable, "not_ready", m)
                error.headers[.retryAfter] = "\(seconds)"
                return error
            }()
        case .internalFailure(let m): ServiceError(.internalServerError, "internal", m)
        }
    }
}

/// Runs a handler body and maps typed prover errors to the envelope once.
func handle<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ProverError {
        throw error.serviceError
    }
}
