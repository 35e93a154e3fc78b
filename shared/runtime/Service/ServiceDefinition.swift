import Hummingbird
import Logging
import PakitConfiguration
import PakitContracts
import PakitHTTPServer
import ServiceLifecycle

/// A service's own configuration: the settings it adds to the common ones, and how it reads them.
public protocol ServiceConfiguration: Sendable {
    /// The service these settings configure (names its variables: `PAKIT_<SERVICE>_…`).
    static var service: ServiceName { get }
    /// Settings beyond `CommonSettings` (its `--help` lists both).
    static var settings: [Setting] { get }
    /// The default SQLite file, for a service that keeps a database; nil for one that does not.
    static var database: DatabaseDefault? { get }
    /// The common settings this configuration was read with.
    var common: CommonSettings { get }
    init(common: CommonSettings, settings: Settings) throws(ConfigurationError)
}

extension ServiceConfiguration {
    public static var database: DatabaseDefault? { nil }

    /// Every setting: the common ones, then the service's own.
    public static var allSettings: [Setting] { CommonSettings.declarations(for: service, database: database) + settings }

    /// Reads flags (`--key value`), `PAKIT_*` variables, a `--config` JSON file and defaults, in
    /// that order of precedence. Errors name the setting and where its value came from.
    public init(arguments: [String], environment: [String: String]) throws(ConfigurationError) {
        let settings = try Settings(Self.allSettings, arguments: arguments, environment: environment)
        let common = try CommonSettings(service: Self.service, settings: settings, database: Self.database)
        try self.init(common: common, settings: settings)
    }

    /// The `--help` text.
    public static var usage: String { Settings.usage(allSettings, command: "pakit-\(service.rawValue)") }
}

/// One Pakit service as `ServiceMain` runs it: open (recovering from any crash), add routes,
/// run background work beside the server under one service group, close.
///
/// `ServiceMain` builds the router in this order: error envelope and metrics middleware,
/// `addMiddleware` (auth), `/health` `/ready` `/metrics`, then `addRoutes`.
public protocol PakitService: Sendable {
    associatedtype Configuration: ServiceConfiguration

    static var name: ServiceName { get }
    static var version: String { get }

    /// Opens stores and recovers from an earlier crash. TLS files were checked before this.
    static func open(_ configuration: Configuration, logger: Logger) async throws -> Self

    /// Middleware every route of this service passes (bearer tokens, caller policies).
    func addMiddleware(to router: Router<ServiceRequestContext>)
    /// The service's API routes.
    func addRoutes(to router: Router<ServiceRequestContext>)
    /// Checks `/ready` runs (database reachable, keys loaded, …).
    var readinessChecks: [ReadinessCheck] { get }
    /// Who may read `/ready` details and `/metrics` (internal routes).
    var operationalCallers: CallerPolicy { get }
    /// `/health`'s answer: the kit's (`ok`, name, version), with what the service adds.
    func health(_ base: HealthResponse) async -> HealthResponse
    /// Work that runs beside the server and stops with it (job runners, key setup).
    func backgroundServices() -> [any Service]
    /// Called once the server listens; `url` is how clients on this machine reach it.
    func didStartListening(url: String, port: Int) async
    /// Other nodes' certificates the server accepts from clients (nil: the node CA only).
    var pinnedPeers: PinnedPeers? { get }
    /// Releases what `open` acquired (connections, clients) after the server stopped.
    func close() async
}

extension PakitService {
    public func addMiddleware(to router: Router<ServiceRequestContext>) {}
    public var readinessChecks: [ReadinessCheck] { [] }
    public var operationalCallers: CallerPolicy { .anyCaller }
    public func health(_ base: HealthResponse) async -> HealthResponse { base }
    public func backgroundServices() -> [any Service] { [] }
    public func didStartListening(url: String, port: Int) async {}
    public var pinnedPeers: PinnedPeers? { nil }
    public func close() async {}
}
