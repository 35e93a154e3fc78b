import Foundation
import Hummingbird
import Logging
import PakitConfiguration
import PakitContracts
import PakitService
import PakitHTTPServer
import PakitObservability
import PakitTLS
import ServiceLifecycle
import Synchronization

/// One running prover instance: its keys and its work limits. It keeps no state between
/// requests (keys aside), so any number of instances with the same keys are interchangeable
/// behind a load balancer. `ServiceMain` (the `pakit-prover` executable) and the tests run it
/// through `ServiceHost`.
///
/// The server starts listening before development keys are derived (`/health` answers, `/ready`
/// is 503 until every circuit has its keys), so a first start with a large batch circuit does
/// not look like a hung process.
public final class ProverNode: PakitService {
    public static let name = ServiceName.prover
    public static let version = "0.1.0"

    public let configuration: ProverConfiguration
    let keys: KeyStore
    let proofs: WorkLimiter
    let seals: WorkLimiter
    let logger: Logger

    /// Loads every usable key file. Throws (a `ConfigurationError` naming the file and reason)
    /// when production mode finds a key missing, unusable or a development key. Development
    /// keys not cached yet are derived by `prepareKeys()`, which runs beside the server.
    public static func open(_ configuration: ProverConfiguration, logger: Logger) async throws -> ProverNode {
        let keys = try KeyStore.open(configuration, logger: logger)
        return ProverNode(configuration: configuration, keys: keys, logger: logger)
    }

    private init(configuration: ProverConfiguration, keys: KeyStore, logger: Logger) {
        self.configuration = configuration
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

    // MARK: PakitService

    /// Only storage calls the prover's API; `/ready` details and `/metrics` are open to every
    /// certificate of the node CA.
    static let apiCallers = CallerPolicy.only(.service(.storage))

    /// Everything but `/health` needs a client certificate from the node CA: this is an
    /// internal service.
    public func addMiddleware(to router: Router<ServiceRequestContext>) {
        router.add(middleware: InternalOnlyMiddleware(open: ["/health"]))
    }

    public var readinessChecks: [ReadinessCheck] {
        [ReadinessCheck(name: "keys") { [keys] in try keys.checkReady() }]
    }

    public func addRoutes(to router: Router<ServiceRequestContext>) {
        let api = router.group().add(middleware: RequireCallerMiddleware(Self.apiCallers))
        addSealRoutes(to: api)
        addProveRoutes(to: api)
        addVerifyRoutes(to: api)
        addKeyRoutes(to: api)
    }

    /// Key setup beside the server; a failed setup stops the process so a supervisor sees it.
    public func backgroundServices() -> [any Service] { [KeySetup(node: self)] }

    public func didStartListening(url: String, port: Int) async {
        logger.notice("prover instance", metadata: ["instance": "\(configuration.instance)"])
    }
}

/// Requires a client certificate from the node CA on every path except the listed ones.
struct InternalOnlyMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let open: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if open.contains(request.uri.path) { return try await next(request, context) }
        return try await RequireCallerMiddleware(.anyCaller).handle(request, context: context, next: next)
    }
}

/// Derives missing development keys. On graceful shutdown the service returns at once and a
/// setup still running is abandoned with the process (it writes its key file atomically), so
/// shutdown never waits minutes for a batch setup.
struct KeySetup: Service {
    let node: ProverNode

    func run() async throws {
        let (outcomes, continuation) = AsyncStream.makeStream(of: Result<Void, any Error>.self)
        Task {
            let outcome: Result<Void, any Error>
            do {
                try await node.prepareKeys()
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            continuation.yield(outcome)
            continuation.finish()
        }
        try await withGracefulShutdownHandler {
            for await outcome in outcomes {
                switch outcome {
                case .success: node.logger.notice("ready: every circuit has its keys")
                case .failure(let error):
                    node.logger.critical("stopping: \(error)")
                    throw error
                }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }
}
