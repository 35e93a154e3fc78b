import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import PakitTLS
import ServiceLifecycle

/// Builds the HTTPS server every service runs: HTTP/2 and HTTP/1.1 over TLS, chosen by ALPN.
public enum ServiceServer {
    public static func make(
        router: Router<ServiceRequestContext>, tls: TLSPaths, host: String, port: Int,
        serverName: String, pinnedPeers: PinnedPeers? = nil, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some Service {
        let tlsConfiguration = try tls.serverConfiguration()
        return Application(
            router: router,
            server: HTTPServerBuilder { responder in
                try ServiceHTTPChannel(tlsConfiguration: tlsConfiguration, pinnedPeers: pinnedPeers, responder: responder)
            },
            configuration: .init(address: .hostname(host, port: port), serverName: serverName),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
