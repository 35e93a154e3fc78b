import AsyncHTTPClient
import NIOSSL

/// The HTTP client side every Pakit process uses: AsyncHTTPClient negotiating h2 via ALPN,
/// trusting the node CA and, for internal calls, presenting the caller's certificate.
public enum ServiceClient {
    public static func make(tls: TLSConfiguration, http1Only: Bool = false) -> HTTPClient {
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = http1Only ? .http1Only : .automatic
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
