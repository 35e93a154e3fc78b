import Foundation
import Hummingbird
import HummingbirdHTTP2
import Logging
import PakitHTTPServer
import PakitTLS
import ServiceLifecycle
import Synchronization

/// A real Hummingbird server in-process: HTTPS with HTTP/2 chosen by ALPN, a certificate from a
/// `LocalCertificateAuthority`, Pakit's error-envelope middleware, run by a `ServiceGroup` so
/// tests can trigger its graceful shutdown (GOAWAY) while requests are in flight.
final class TestHTTPServer: Sendable {
    let baseURL: String
    private let group: ServiceGroup
    private let runTask: Task<Void, any Error>

    /// `gracefulCloseTimeout`: how long, after its shutdown GOAWAYs, the server keeps a
    /// connection whose streams are still open before closing it.
    static func start(tls: TLSPaths, gracefulCloseTimeout: Duration? = nil,
                      routes: (Router<ServiceRequestContext>) -> Void) async throws -> TestHTTPServer {
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        routes(router)
        var logger = Logger(label: "test.server")
        logger.logLevel = .critical
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            router: router,
            server: try .http2Upgrade(tlsConfiguration: try tls.serverConfiguration(),
                                      configuration: .init(gracefulCloseTimeout: gracefulCloseTimeout)),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "test"),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: application)], logger: logger))
        let runTask = Task { try await group.run() }
        var port = 0
        for await bound in ports { port = bound; break }
        return TestHTTPServer(baseURL: "https://127.0.0.1:\(port)", group: group, runTask: runTask)
    }

    private init(baseURL: String, group: ServiceGroup, runTask: Task<Void, any Error>) {
        self.baseURL = baseURL
        self.group = group
        self.runTask = runTask
    }

    /// Runs `body` with a started server and always stops it.
    static func with<T>(tls: TLSPaths, gracefulCloseTimeout: Duration? = nil, routes: (Router<ServiceRequestContext>) -> Void,
                        _ body: (TestHTTPServer) async throws -> T) async throws -> T {
        let server = try await start(tls: tls, gracefulCloseTimeout: gracefulCloseTimeout, routes: routes)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Starts the graceful shutdown (the server sends GOAWAY on its open connections).
    func triggerShutdown() async {
        await group.triggerGracefulShutdown()
    }

    /// Shuts down and waits until the server has stopped.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await runTask.value
    }
}

/// Certificates for one test: a fresh CA in a temporary directory, a server certificate for
/// 127.0.0.1 and a client certificate.
struct TestCertificates {
    let directory: String
    let server: TLSPaths
    let client: TLSPaths

    init() throws {
        directory = NSTemporaryDirectory() + "pakit-client-\(UUID().uuidString)"
        let ca = try LocalCertificateAuthority.loadOrCreate(in: directory)
        server = try ca.certificate(for: "server", hostnames: ["127.0.0.1"])
        client = try ca.certificate(for: "client")
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Counts the requests a route served.
final class Hits: Sendable {
    private let count = Mutex(0)
    @discardableResult func record() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}

/// A door that handlers wait at until the test opens it (a request kept in flight).
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }
}
