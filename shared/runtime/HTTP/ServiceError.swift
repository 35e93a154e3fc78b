import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PakitContracts

/// An error with the status, code and message a client should see. Services throw these
/// (or map their own typed errors to them once); the error middleware renders every error,
/// including framework errors, as the JSON envelope.
public struct ServiceError: Error, Sendable, Equatable, HTTPResponseError {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badRequest(_ code: String = "bad_request", _ message: String) -> ServiceError { .init(.badRequest, code, message) }
    public static func notFound(_ message: String) -> ServiceError { .init(.notFound, "not_found", message) }
    public static func unauthorized(_ message: String) -> ServiceError { .init(.unauthorized, "unauthorized", message) }
    public static func forbidden(_ message: String) -> ServiceError { .init(.forbidden, "forbidden", message) }
    public static func internalError(_ message: String) -> ServiceError { .init(.internalServerError, "internal", message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = (try? JSONEncoder().encode(ErrorEnvelope(code: code, message: message))) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Renders every error that escapes a handler as the JSON error envelope, so no client ever
/// sees a framework's plain-text error or a stack trace.
public struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            throw error
        } catch let error as HTTPError {
            throw Self.translate(error)
        } catch is DecodingError {
            throw ServiceError(.badRequest, "invalid_json", "request body is not valid JSON for this endpoint")
        } catch let error as HTTPResponseError {
            throw ServiceError(error.status, "http_\(error.status.code)", error.status.reasonPhrase)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            throw ServiceError.internalError("internal error")
        }
    }

    static func translate(_ error: HTTPError) -> ServiceError {
        switch error.status {
        case .notFound: return ServiceError(.notFound, "route_not_found", "no such route")
        case .methodNotAllowed: return ServiceError(.methodNotAllowed, "method_not_allowed", "method not allowed on this route")
        case .contentTooLarge: return ServiceError(.contentTooLarge, "too_large", error.body ?? "request body too large")
        default: return ServiceError(error.status, "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
        }
    }
}
