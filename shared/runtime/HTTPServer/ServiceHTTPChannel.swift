import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import NIOSSL
import PakitHTTP2

/// The connection every service serves: TLS, then HTTP/2 or HTTP/1.1 as ALPN chooses.
///
/// It is Hummingbird's `HTTP2UpgradeChannel` with one difference that matters to storage:
/// HTTP/2 flow-control windows sized for bulk uploads. Hummingbird fixes them at the protocol's
/// default of 64 KiB, which capped one upload stream at about half of what HTTP/1.1 carries on
/// the same connection (docs/benchmarks.md): the client stops after 64 KiB until the server
/// has consumed data and sent a WINDOW_UPDATE. Here each stream may have `streamWindow` bytes
/// in flight and the connection `connectionWindow` in all, so at most that much of a client's
/// data is buffered per stream and per connection. HTTP/1.1 requests are Hummingbird's own
/// `HTTP1Channel`; graceful shutdown, idle and age limits of HTTP/2 connections are NIO's
/// `NIOHTTP2ServerConnectionManagementHandler`.
public struct ServiceHTTPChannel: HTTPChannelHandler {
    public typealias StreamChannel = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<NIONegotiatedHTTPVersion<HTTP1Channel.Value, NIOHTTP2Handler.AsyncStreamMultiplexer<StreamChannel>>>
        public let channel: any Channel
    }

    public struct Windows: Sendable {
        /// Bytes one HTTP/2 stream may have in flight before the server reads them.
        public var stream: Int
        /// Bytes all streams of one connection may have in flight together.
        public var connection: Int

        public init(stream: Int, connection: Int) {
            self.stream = stream
            self.connection = connection
        }

        /// 4 MiB per stream, 8 MiB per connection: one stream then carries an upload at 0.96×
        /// the HTTP/1.1 rate from AsyncHTTPClient and 0.80× from curl (1/2 MiB: 0.94× and 0.71×;
        /// docs/benchmarks.md, "One HTTP/2 stream"). What a client may have in flight is bounded
        /// by these: 8 MiB per connection at most. Larger windows used to make AsyncHTTPClient
        /// uploads slower; that was the frame decoder's copying, which `WholeFrameReads` avoids.
        public static let bulk = Windows(stream: 4 << 20, connection: 8 << 20)
    }

    public let responder: HTTPChannelHandler.Responder
    private let sslContext: NIOSSLContext
    private let http1: HTTP1Channel
    private let http2Configuration: NIOHTTP2Handler.Configuration
    private let pinnedPeers: PinnedPeers?

    /// - Parameter pinnedPeers: other nodes' certificates accepted from clients besides the
    ///   node CA's (nil: the node CA only).
    public init(tlsConfiguration: TLSConfiguration, windows: Windows = .bulk, pinnedPeers: PinnedPeers? = nil,
                responder: @escaping HTTPChannelHandler.Responder) throws {
        self.pinnedPeers = pinnedPeers
        var tlsConfiguration = tlsConfiguration
        tlsConfiguration.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        sslContext = try NIOSSLContext(configuration: tlsConfiguration)
        self.responder = responder
        http1 = HTTP1Channel(responder: responder)
        var configuration = NIOHTTP2Handler.Configuration()
        configuration.connection.initialSettings = nioDefaultSettings + [
            HTTP2Setting(parameter: .initialWindowSize, value: Self.clamped(windows.stream))
        ]
        configuration.connection.targetWindowSize = Self.clamped(windows.connection)
        configuration.stream.targetWindowSize = Self.clamped(windows.stream)
        http2Configuration = configuration
    }

    /// HTTP/2 windows are 31-bit.
    private static func clamped(_ window: Int) -> Int { min(max(window, 65_535), Int(Int32.max)) }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            if let pinnedPeers {
                let mark = PinnedPeerConnection(pinnedPeers: pinnedPeers)
                let tls = try NIOSSLServerHandler(context: sslContext, verificationCallback: pinnedPeers.verification(marking: mark))
                try channel.pipeline.syncOperations.addHandlers(tls, mark)
            } else {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
            }
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let http1 = self.http1
        let configuration = self.http2Configuration
        return channel.configureHTTP2AsyncSecureUpgrade { channel in
            http1.setup(channel: channel, logger: logger)
        } http2ConnectionInitializer: { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(WholeFrameReads())
                let management = NIOHTTP2ServerConnectionManagementHandler(eventLoop: channel.eventLoop, configuration: .defaults)
                let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                    mode: .server, streamDelegate: management.http2StreamDelegate, configuration: configuration
                ) { stream in
                    stream.eventLoop.makeCompletedFuture {
                        try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTPServerCodec())
                        try stream.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        return try StreamChannel(wrappingChannelSynchronously: stream)
                    }
                }
                try channel.pipeline.syncOperations.addHandlers(management, CloseOnInputClosed())
                return multiplexer
            }
        }
        .map { Value(negotiated: $0, channel: channel) }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1_1(let connection):
                await http1.handle(value: connection, logger: logger)
            case .http2(let multiplexer):
                try await withThrowingDiscardingTaskGroup { group in
                    for try await stream in multiplexer.inbound {
                        group.addTask { await handleStream(stream, logger: logger) }
                    }
                }
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }

    /// One request per HTTP/2 stream, through Hummingbird's own request loop.
    private func handleStream(_ stream: StreamChannel, logger: Logger) async {
        await handleHTTP(asyncChannel: stream, logger: logger)
    }
}


/// Closes an HTTP/2 connection whose client has shut its side. The server lets clients
/// half-close (HTTP/1.1 needs it), but HTTP/2 has no use for a half-open connection, and left
/// open it would sit in CLOSE-WAIT and hold up a graceful shutdown for ever: the GOAWAY and
/// PING that end it could never be answered.
final class CloseOnInputClosed: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTP2Frame

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}
