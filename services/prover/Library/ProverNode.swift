import Foundation
import Hummingbird
import Logging
import PakitConfiguration
import PakitContracts
import PakitHTTPServer
import PakitObservability
import PakitTLS
import ServiceLifecycle
import Synchronization

/// One running prover instance: its keys, its work limits and its HTTPS server. It keeps no
/// state between requests (keys aside), so any number of instances with the same keys are
/// interchangeable behind a load balancer.
public final class ProverNode: Sendable {
    public static let version = "0.1.0"

    public let configuration: ProverConfiguration
    public let tls: TLSPaths
    let keys: KeyStore
    let proofs: WorkLimiter
    let seals: WorkLimiter
    let logger: Logger
    private let listeningPort = Atomic<Int>(0)

    /// The port the server is bound to (the configured one until it runs).
    public var boundPort: Int {
        let port = listeningPort.load(ordering: .relaxed)
        return port == 0 ? configuration.port : port
    }

    /// Creates the data directory and the instance's certificate, and loads every usable key
    /// file. Throws (a `ConfigurationError` naming the file and reason) when production mode
    /// finds a key missing, unusable or a development key. Development keys not cached yet are
    /// derived by `prepareKeys()`.
    public static func open(_ configuration: ProverConfiguration, logger: Logger) async throws -> ProverNode {
        let fm = FileManager.default
        try fm.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // One certificate per instance name: replicas sharing a data volume must not overwrite
        // each other's key and certificate. Each carries the "prover" DNS name too, so callers
        // can reach any replica under the service name.
        let tls = try configuration.tls ?? LocalCertificateAuthority.loadOrCreate(in: "\(configuration.dataDirectory)/tls")
            .certificate(for: "prover-\(configuration.instance)", hostnames: [ServiceName.prover.rawValue] + configuration.tlsHostnames)
        let keys = try KeyStore.open(configuration, logger: logger)
        return ProverNode(configuration: configuration, tls: tls, keys: keys, logger: logger)
    }

    private init(configuration: ProverConfiguration, tls: TLSPaths, keys: KeyStore, logger: Logger) {
        self.configuration = configuration
        self.tls = tls
        self.keys = keys
        self.proofs = WorkLimiter(maxRunning: configuration.maxConcurrentProofs, maxQueued: configuration.maxQueued) { waiting, running in
            ProverMetrics.queueDepth.record(Double(waiting))
            ProverMetrics.proofsInProgress.record(Double(running))
        }
        self.seals = WorkLimiter(maxRunning: configuration.maxConcurrentSeals, maxQueued: configuration.maxQueued)
        self.logger = logger
    }

    /// Derives the development keys that were not cached (no-op when all were loaded) and
    /// returns when every circuit is ready. Throws if a setup failed.
    public func prepareKeys() async throws {
        await keys.prepareMissing()
        let failures = keys.failures
        guard failures.isEmpty else { throw ConfigurationError("key setup failed: \(failures.joined(separator: "; "))") }
    }

    /// Waits until every circuit's keys are ready (or failed); no polling.
    public func waitUntilKeysSettled() async {
        await keys.waitUntilSettled()
    }

    /// The router with every route of the v1 API plus the operational ones. Everything but
    /// `/health` needs a client certificate from the node CA: this is an internal service.
    public func makeRouter() -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: InternalOnlyMiddleware(open: ["/health"]))
        OperationalRoutes.add(
            to: router, service: .prover, version: Self.version,
            readiness: [ReadinessCheck(name: "keys") { [keys] in try keys.checkReady() }],
            metrics: MetricsBootstrap.registry)
        addSealRoutes(to: router)
        addProveRoutes(to: router)
        addVerifyRoutes(to: router)
        addKeyRoutes(to: router)
        return router
    }

    /// The HTTPS server as a lifecycle service. `onRunning` receives the bound port.
    public func makeServer(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some Service {
        try ServiceServer.make(router: makeRouter(), tls: tls, host: configuration.host, port: configuration.port,
                               serverName: "pakit-prover", logger: logger) { port in
            self.listeningPort.store(port, ordering: .relaxed)
            await onRunning(port)
        }
    }
}

/// Requires a client certificate from the node CA on every path except the listed ones.
struct InternalOnlyMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let open: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if open.contains(request.uri.path) { return try await next(request, context) }
        return try await RequireClientCertificateMiddleware().handle(request, context: context, next: next)
    }
}
