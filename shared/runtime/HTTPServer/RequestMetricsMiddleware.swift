import HTTPTypes
import Hummingbird
import Prometheus
import Synchronization

/// Request counts, errors, in-flight requests and durations per route, straight into the
/// process's Prometheus registry (names as docs/operations.md lists them).
///
/// Hummingbird's own `MetricsMiddleware` times a request until its body is written, by turning
/// every body into a closure; that also turns off Hummingbird's single batched write of a
/// buffered response (head, body and end in one pass), which cost about 20 µs of CPU per
/// request here (docs/benchmarks.md). This one stops the clock when the handler returns its
/// response: for a buffered body that is the whole server time, and for a streamed body it is
/// the time to the first byte — the rest is the client's bandwidth, not the server's work.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let metrics: RequestMetrics

    public init(registry: PrometheusCollectorRegistry) {
        metrics = RequestMetrics(registry: registry)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let active = metrics.active(method: request.method)
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            let route = metrics.route(endpoint: context.endpointPath ?? "Unknown", method: request.method, status: response.status)
            route.requests.increment()
            route.duration.record(ContinuousClock.now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let route = metrics.route(endpoint: context.endpointPath ?? "NotFound", method: request.method, status: status)
            route.requests.increment()
            route.errors.increment()
            route.duration.record(ContinuousClock.now - start)
            throw error
        }
    }
}

/// The metric objects per route, method and status, made once: a registry lookup per request
/// would take the registry's lock every time.
final class RequestMetrics: Sendable {
    struct Route: Sendable {
        let requests: Counter
        let errors: Counter
        let duration: DurationHistogram
    }

    private struct RouteKey: Hashable {
        let endpoint: String
        let method: HTTPRequest.Method
        let status: Int
    }

    /// From 250 µs (a cached block read) to 10 s (a large upload's head).
    static let buckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    private let registry: PrometheusCollectorRegistry
    private let routes = Mutex<[RouteKey: Route]>([:])
    private let actives = Mutex<[HTTPRequest.Method: Gauge]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func active(method: HTTPRequest.Method) -> Gauge {
        actives.withLock { actives in
            if let gauge = actives[method] { return gauge }
            let gauge = registry.makeGauge(name: "http_server_active_requests", labels: [("http_request_method", method.rawValue)])
            actives[method] = gauge
            return gauge
        }
    }

    func route(endpoint: String, method: HTTPRequest.Method, status: HTTPResponse.Status) -> Route {
        let key = RouteKey(endpoint: endpoint, method: method, status: status.code)
        return routes.withLock { routes in
            if let route = routes[key] { return route }
            let labels = [("http_route", endpoint), ("http_request_method", method.rawValue),
                          ("http_response_status_code", String(status.code))]
            let route = Route(
                requests: registry.makeCounter(name: "hb_requests", labels: labels),
                errors: registry.makeCounter(name: "hb_request_errors",
                                             labels: [("http_route", endpoint), ("http_request_method", method.rawValue),
                                                      ("error_type", String(status.code))]),
                duration: registry.makeDurationHistogram(name: "http_server_request_duration", labels: labels, buckets: Self.buckets))
            routes[key] = route
            return route
        }
    }
}
