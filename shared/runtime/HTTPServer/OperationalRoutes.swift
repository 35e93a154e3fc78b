import Foundation
import Hummingbird
import NIOCore
import PakitContracts
import Prometheus

/// A named dependency check for `/ready` (database reachable, data directory writable, …).
public struct ReadinessCheck: Sendable {
    public let name: String
    public let check: @Sendable () async throws -> Void

    public init(name: String, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.check = check
    }
}

/// `/health`, `/ready` and `/metrics`, the same on every service. `/ready` tells anyone
/// whether the service is ready; which check failed, and why, only a caller with a certificate
/// the service admits may read (it can name hosts and files). `/metrics` exposes internals, so
/// it sits behind mutual TLS like other internal routes.
public enum OperationalRoutes {
    public static func add(
        to router: Router<ServiceRequestContext>, service: ServiceName, version: String,
        readiness: [ReadinessCheck], callers: CallerPolicy, metrics: PrometheusCollectorRegistry,
        health: @escaping @Sendable (HealthResponse) async -> HealthResponse = { $0 }
    ) {
        router.get("/health") { _, _ in
            try jsonResponse(await health(HealthResponse(status: "ok", service: service.rawValue, version: version)))
        }
        router.get("/ready") { _, context in
            var checks: [String: String] = [:]
            var ready = true
            for check in readiness {
                do {
                    try await check.check()
                    checks[check.name] = "ok"
                } catch {
                    checks[check.name] = "\(error)"
                    ready = false
                }
            }
            let certificate = await context.peerCertificate()
            let trusted = certificate.flatMap(CallerIdentity.init(certificate:)).map(callers.admits) ?? false
            return try jsonResponse(ReadyResponse(status: ready ? "ready" : "unavailable", checks: trusted ? checks : [:]),
                                    status: ready ? .ok : .serviceUnavailable)
        }
        router.group("/metrics")
            .add(middleware: RequireCallerMiddleware(callers))
            .get { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                         body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer())))
            }
    }
}

/// Encodes a contract type as a JSON response.
public func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = try encoder.encode(value)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
