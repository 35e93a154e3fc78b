import AsyncHTTPClient
import NIOCore
import NIOSSL
import PakitTLS

/// The client every Pakit process uses to call another service or a node: one AsyncHTTPClient
/// negotiating h2 via ALPN, trusting the node CA and, for internal calls, presenting the
/// caller's certificate. Calls are typed (`ServiceRequest` in, `ServiceResponse` or a contract
/// type out, `ServiceCallError` thrown), bounded by a deadline and retried by `RetryPolicy`
/// when that is safe (see `ServiceClient+Send.swift`).
public final class ServiceClient: Sendable {
    /// The underlying client, for callers that need AsyncHTTPClient directly.
    public let http: HTTPClient
    /// Retry rule for requests that name none.
    public let retry: RetryPolicy
    /// Deadline for requests that name none.
    public let timeout: Duration

    /// - Parameters:
    ///   - tls: trust roots (the node CA) and, for mutual TLS, the client certificate.
    ///   - http1Only: skip h2 (large uploads go faster over HTTP/1.1 with AsyncHTTPClient).
    public init(tls: TLSConfiguration, http1Only: Bool = false, retry: RetryPolicy = .standard, timeout: Duration = .seconds(60)) {
        var configuration = Self.configuration(tls: tls, http1Only: http1Only)
        // A connection that cannot be made fails the waiting request at once, so this client
        // (or the instance pool) decides about retrying and failing over, instead of the request
        // waiting for its deadline while AsyncHTTPClient keeps reconnecting to a dead peer.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.retry = retry
        self.timeout = timeout
    }

    /// A client for internal calls: trusts the CA of `paths` and presents its certificate
    /// (`presentCertificate: false` for a caller that has none).
    public convenience init(tls paths: TLSPaths, presentCertificate: Bool = true, http1Only: Bool = false,
                            retry: RetryPolicy = .standard, timeout: Duration = .seconds(60)) throws {
        self.init(tls: try paths.clientConfiguration(presentCertificate: presentCertificate), http1Only: http1Only,
                  retry: retry, timeout: timeout)
    }

    /// A client for servers outside the node (public IPFS gateways): trusts the system's CA
    /// certificates and presents none.
    public static func forPublicServers(retry: RetryPolicy = .standard, timeout: Duration = .seconds(60)) -> ServiceClient {
        ServiceClient(tls: TLSConfiguration.makeClientConfiguration(), retry: retry, timeout: timeout)
    }

    /// Closes the connections; required before the client is released.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// A bare AsyncHTTPClient with the same settings, for code that drives requests itself
    /// (the test suites' helpers).
    public static func make(tls: TLSConfiguration, http1Only: Bool = false) -> HTTPClient {
        HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration(tls: tls, http1Only: http1Only))
    }

    static func configuration(tls: TLSConfiguration, http1Only: Bool) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = http1Only ? .http1Only : .automatic
        configuration.decompression = .disabled
        return configuration
    }
}
