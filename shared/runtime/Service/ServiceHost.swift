import Foundation
import Hummingbird
import Logging
import PakitConfiguration
import PakitFiles
import PakitHTTPServer
import PakitObservability
import PakitTLS
import ServiceLifecycle
import UnixSignals
import Synchronization

/// One service running in this process: its server and background work under one service
/// group. `ServiceMain` runs one until a signal; tests start one on port 0 and stop it.
public final class ServiceHost<Node: PakitService>: Sendable {
    public let node: Node
    public let configuration: Node.Configuration
    /// `https://host:port` with the bound port.
    public let url: String
    public let port: Int
    private let group: ServiceGroup
    private let runTask: Task<Void, any Error>

    private init(node: Node, configuration: Node.Configuration, url: String, port: Int, group: ServiceGroup, runTask: Task<Void, any Error>) {
        self.node = node
        self.configuration = configuration
        self.url = url
        self.port = port
        self.group = group
        self.runTask = runTask
    }

    /// Reads the configuration from `arguments` and `environment` (flags > `PAKIT_*` > file >
    /// defaults), checks the TLS files, opens the node and starts serving. Returns once the
    /// server listens.
    public static func start(
        arguments: [String], environment: [String: String], logger: Logger? = nil,
        signals: [UnixSignal] = []
    ) async throws -> ServiceHost {
        let configuration = try configuration(arguments: arguments, environment: environment)
        return try await start(configuration, logger: logger, signals: signals)
    }

    /// Parses the common and the service's own settings.
    public static func configuration(arguments: [String], environment: [String: String]) throws(ConfigurationError) -> Node.Configuration {
        try Node.Configuration(arguments: arguments, environment: environment)
    }

    /// Starts `configuration`'s service; returns once it listens.
    public static func start(_ configuration: Node.Configuration, logger: Logger? = nil, signals: [UnixSignal] = []) async throws -> ServiceHost {
        let common = configuration.common
        let logger = logger ?? Logger(label: "pakit.\(Node.name.rawValue)")
        do {
            try ServiceTLSFiles.check(common.tls, identity: Node.name.rawValue)
        } catch {
            throw ConfigurationError(error.description)
        }
        try FileManager.default.createDirectory(atPath: common.dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let node = try await Node.open(configuration, logger: logger)
        let router = makeRouter(for: node)

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server: any Service
        do {
            server = try ServiceServer.make(router: router, tls: common.tls, host: common.host, port: common.port,
                                            serverName: "pakit-\(Node.name.rawValue)", pinnedPeers: node.pinnedPeers,
                                            logger: logger) { port in
                portContinuation.yield(port)
                portContinuation.finish()
            }
        } catch {
            await node.close()
            throw error
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: server)] + node.backgroundServices().map {
                // Background work that finishes (key setup) leaves the server running; work
                // that fails stops the service so a supervisor sees it.
                .init(service: $0, successTerminationBehavior: .ignore, failureTerminationBehavior: .gracefullyShutdownGroup)
            },
            gracefulShutdownSignals: signals, logger: logger))
        let runTask = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var bound: Int?
        for await port in ports { bound = port }
        guard let port = bound else {
            let outcome = await runTask.result
            await node.close()
            if case .failure(let error) = outcome { throw error }
            throw ConfigurationError("the \(Node.name.rawValue) server stopped before it listened")
        }
        let url = common.baseURL(port: port)
        // The CLI and `pakit up` find the service here; written only once it listens. Without
        // it they cannot find the service, so a failed write is logged loudly.
        do {
            try AtomicFile.write(url + "\n", to: common.urlFile, mode: 0o644)
        } catch {
            logger.error("cannot write the service's URL file; pakit up and the CLI will not find it",
                         metadata: ["path": "\(common.urlFile)", "error": "\(error)"])
        }
        await node.didStartListening(url: url, port: port)
        return ServiceHost(node: node, configuration: configuration, url: url, port: port, group: group, runTask: runTask)
    }

    /// The router every service serves: security headers, error envelope, 405 and metrics middleware, the node's
    /// middleware, `/health` `/ready` `/metrics`, then the node's routes. Its `routes` list is
    /// what the OpenAPI tests hold the documents against.
    public static func makeRouter(for node: Node) -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: ErrorEnvelopeMiddleware())
        let methods = MethodNotAllowedMiddleware<ServiceRequestContext>()
        router.add(middleware: methods)
        router.add(middleware: RequestMetricsMiddleware(registry: MetricsBootstrap.registry))
        node.addMiddleware(to: router)
        OperationalRoutes.add(to: router, service: Node.name, version: Node.version, readiness: node.readinessChecks,
                              callers: node.operationalCallers, metrics: MetricsBootstrap.registry, health: { await node.health($0) })
        node.addRoutes(to: router)
        methods.load(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
        return router
    }

    /// Waits until the service group ends (a signal, or `stop()`), then closes the node.
    /// Throws what ended the group, if it failed.
    public func waitUntilStopped() async throws {
        let outcome = await runTask.result
        await node.close()
        try outcome.get()
    }

    /// Starts a graceful shutdown and returns at once (`waitUntilStopped` waits for it).
    public func triggerGracefulShutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// Graceful shutdown: in-flight requests finish, background work stops, the node closes.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await waitUntilStopped()
    }
}
