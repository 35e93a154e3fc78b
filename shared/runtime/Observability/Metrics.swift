import Metrics
import Prometheus
import Synchronization

/// The process's one Prometheus registry: swift-metrics allows one bootstrap per process,
/// so every service in a process (and Hummingbird's metrics middleware) shares it.
public enum MetricsBootstrap {
    public static let registry = PrometheusCollectorRegistry()
    private static let done = Mutex(false)

    public static func bootstrap() {
        let first = done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
