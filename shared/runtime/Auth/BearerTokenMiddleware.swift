import Foundation
import Hummingbird
import Logging
import PakitHTTPServer

/// Resolves `Authorization: Bearer <token>` into the request's principal. A malformed or
/// unknown token is refused outright (401) rather than treated as anonymous; a request without
/// the header goes on anonymous, and each route decides what that may do (`require`).
public struct BearerTokenMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext
    let tokens: TokenStore

    public init(tokens: TokenStore) { self.tokens = tokens }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.hasPrefix("Bearer ") else {
            throw ServiceError(.unauthorized, "invalid_token", "Authorization must be 'Bearer <token>'")
        }
        let found: Principal?
        do {
            found = try await tokens.authenticate(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        } catch {
            context.logger.error("database error", metadata: ["error": "\(error)"])
            throw ServiceError(.serviceUnavailable, "database_unavailable", "the metadata database failed; try again later")
        }
        guard let principal = found else {
            throw ServiceError(.unauthorized, "invalid_token", "unknown or revoked token")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}

extension ServiceRequestContext {
    /// 401 without credentials, 403 with credentials that lack the scope.
    public func require(_ scope: Principal.Scope) throws(ServiceError) {
        guard let principal else {
            throw ServiceError(.unauthorized, "unauthorized", "this operation needs a token with the '\(scope.rawValue)' scope")
        }
        guard principal.allows(scope) else { throw ServiceError(.forbidden, "forbidden", "token lacks the '\(scope.rawValue)' scope") }
    }
}
