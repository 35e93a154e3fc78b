import HTTPTypes
import Hummingbird

/// Headers every response of every service carries: browsers must take the declared
/// `Content-Type` as it is (`nosniff`), so stored bytes served as `application/octet-stream`
/// or JSON can never be run as a page or script of the service's origin.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }
}

extension HTTPField.Name {
    /// `X-Content-Type-Options`.
    public static let xContentTypeOptions = Self("X-Content-Type-Options") ?? .contentType
}
