import NIOHTTP1

/// Typed calls: contract types in and out, JSON on the wire.
extension ServiceClient {
    /// Sends `request` and decodes the `2xx` answer as `Response`.
    public func call<Response: Decodable>(_ request: ServiceRequest, to baseURL: String,
                                          as type: Response.Type = Response.self) async throws(ServiceCallError) -> Response {
        try await send(request, to: baseURL).decode(Response.self)
    }

    /// `GET path` decoded as `Response`.
    public func get<Response: Decodable>(_ path: String, from baseURL: String, as type: Response.Type = Response.self,
                                         headers: HTTPHeaders = [:], timeout: Duration? = nil) async throws(ServiceCallError) -> Response {
        try await call(ServiceRequest(.GET, path, headers: headers, timeout: timeout), to: baseURL)
    }

    /// `method path` with `body` as JSON, the answer decoded as `Response`. POST is not retried
    /// after it may have been processed unless `idempotent` says it may be.
    public func call<Body: Encodable & Sendable, Response: Decodable>(
        _ method: HTTPMethod, _ path: String, json body: Body, to baseURL: String, as type: Response.Type = Response.self,
        headers: HTTPHeaders = [:], idempotent: Bool? = nil, timeout: Duration? = nil
    ) async throws(ServiceCallError) -> Response {
        let request = try ServiceRequest.json(method, path, body: body, headers: headers, idempotent: idempotent, timeout: timeout)
        return try await call(request, to: baseURL)
    }
}
