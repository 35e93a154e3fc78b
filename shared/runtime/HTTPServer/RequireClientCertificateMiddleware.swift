import Hummingbird
import X509

/// Guards internal routes: the caller must present a certificate issued by the node's CA
/// (the TLS layer already verified the chain). Without one the request is refused with 401
/// before any handler runs, so it touches nothing.
public struct RequireClientCertificateMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let certificate = await context.peerCertificate() else {
            throw ServiceError(.unauthorized, "client_certificate_required", "this route requires mutual TLS with a certificate from the node CA")
        }
        var context = context
        let commonName = certificate.subject.description
        context.principal = Principal(id: "cert:\(commonName)", scopes: [.read, .write, .admin])
        return try await next(request, context)
    }
}
