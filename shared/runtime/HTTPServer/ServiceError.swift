import Foundation
import HTTPTypes
import Hummingbird
import Logging
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(ErrorEnvelope(code: code, message: message))) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Renders every error that escapes a handler as the JSON error envelope, so no client ever
/// sees a framework's plain-text error or a stack trace. Answers to HEAD carry the status and
/// headers only: a body on a HEAD response is a protocol error in HTTP/2.
public struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let envelope = Self.envelope(for: error, logger: context.logger)
            response = try envelope.response(from: request, context: context)
        }
        guard request.method == .head else { return response }
        return Response(status: response.status, headers: response.headers)
    }

    static func envelope(for error: any Error, logger: Logger) -> ServiceError {
        switch error {
        case let error as ServiceError:
            return error
        case let error as HTTPError:
            switch error.status.code {
            case 404: return ServiceError(.notFound, "route_not_found", "no such route")
            case 405: return ServiceError(.methodNotAllowed, "method_not_allowed", "method not allowed on this route")
            case 413: return ServiceError(.contentTooLarge, "too_large", error.body ?? "request body too large")
            case 400: return ServiceError(.badRequest, "invalid_request", error.body ?? "malformed request")
            default: return ServiceError(error.status, "http_\(error.status.code)", error.body ?? error.status.reasonPhrase)
            }
        case is DecodingError:
            return ServiceError(.badRequest, "invalid_request", "request body is not valid JSON for this endpoint")
        case let error as HTTPResponseError:
            switch error.status.code {
            case 413: return ServiceError(.contentTooLarge, "too_large", "request body too large")
            case 400: return ServiceError(.badRequest, "invalid_request", "malformed request")
            default: return ServiceError(error.status, "http_\(error.status.code)", error.status.reasonPhrase)
            }
        default:
            logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return ServiceError.internalError("internal error")
        }
    }
}
