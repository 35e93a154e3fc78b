import Crypto
import HTTPTypes
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import NIOPosix
import NIOSSL
import NIOTLS
import PakitConcurrency
import PakitHTTP2
import PakitTLS
import Synchronization

/// HTTPS over HTTP/2 to another Pakit node, trusting exactly the certificate that node's signed
/// mesh record names (the SHA-256 of its DER), never the other node's CA wholesale
/// (ARCHITECTURE.md, "Trust between nodes").
///
/// AsyncHTTPClient cannot do this: it verifies against trust roots only, and another node's
/// certificate comes from that node's own CA. So this client drives NIO directly: TLS whose
/// verification is replaced by the fingerprint comparison (`NIOSSLClientHandler`'s custom
/// verification), then HTTP/2 with one connection per peer address and certificate, shared by
/// concurrent requests as streams. A connection the peer closed or sent GOAWAY on is replaced
/// and the request is opened again once, on a fresh connection (a stream the peer never
/// accepted was not processed).
///
/// The client presents this node's own certificate, so a peer can pin it in turn.
public final class PinnedPeerClient: Sendable {
    /// One answer: status, fields and the whole body (bounded by the request's limit).
    public struct Response: Sendable {
        public let status: HTTPResponse.Status
        public let headerFields: HTTPFields
        public let body: [UInt8]
    }

    private struct ConnectionKey: Hashable {
        let host: String
        let port: Int
        let certificateSHA256: [UInt8]
    }

    private final class Connection: Sendable {
        let channel: any Channel
        let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
        let goAway: GoAwayRecord
        init(channel: any Channel, multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>, goAway: GoAwayRecord) {
            self.channel = channel
            self.multiplexer = multiplexer
            self.goAway = goAway
        }
    }

    private let sslContext: NIOSSLContext
    private let group: any EventLoopGroup
    private enum Slot {
        case connecting(Task<Connection, any Error>)
        case ready(Connection)
    }

    private let connections = Mutex<[ConnectionKey: Slot]>([:])
    private let http2: NIOHTTP2Handler.Configuration
    /// How long a connection attempt (TCP and TLS) may take.
    public let connectTimeout: Duration

    /// - Parameters:
    ///   - identity: the certificate and key this node presents (nil: none).
    ///   - streamWindow: bytes one response may have in flight before this client reads them.
    public init(identity: TLSPaths?, streamWindow: Int = 4 << 20, connectTimeout: Duration = .seconds(5),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        // Replaced by the fingerprint check below; `.none` would skip the check altogether.
        tls.certificateVerification = .noHostnameVerification
        tls.applicationProtocols = ["h2"]
        if let identity {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(identity.certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: identity.privateKey, format: .pem))
        }
        sslContext = try NIOSSLContext(configuration: tls)
        self.group = group
        self.connectTimeout = connectTimeout
        var configuration = NIOHTTP2Handler.Configuration()
        let window = min(max(streamWindow, 65_535), Int(Int32.max))
        configuration.connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 100),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .initialWindowSize, value: window),
        ]
        configuration.connection.targetWindowSize = min(2 * window, Int(Int32.max))
        configuration.stream.targetWindowSize = window
        http2 = configuration
    }

    /// The SHA-256 of a certificate's DER encoding, as peer records carry it.
    public static func fingerprint(ofDER der: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: der)) }

    /// The fingerprint of the first certificate in a PEM file; empty when it is unreadable.
    public static func fingerprint(ofPEMFile path: String) -> [UInt8] {
        guard let certificate = try? NIOSSLCertificate.fromPEMFile(path).first, let der = try? certificate.toDERBytes() else { return [] }
        return fingerprint(ofDER: der)
    }

    /// Sends one request to `baseURL` (`https://host:port`) and collects the answer.
    ///
    /// - Parameters:
    ///   - certificateSHA256: the certificate the peer must present; anything else ends the
    ///     handshake before a byte of the request is sent.
    ///   - maximumBodyBytes: a longer body fails the call (`badAnswer`) and resets the stream.
    public func send(
        _ method: HTTPRequest.Method, _ path: String, to baseURL: String, certificateSHA256: [UInt8],
        headers: HTTPFields = [:], body: [UInt8]? = nil, maximumBodyBytes: Int, timeout: Duration
    ) async throws(ServiceCallError) -> Response {
        let url = baseURL + path
        let (key, request) = try Self.prepare(method, path, baseURL: baseURL, certificateSHA256: certificateSHA256, headers: headers)
        do {
            return try await withDeadline(timeout) {
                try await self.onStream(key, url: url) { stream in
                    try await Self.exchange(request, body: body, on: stream, maximumBodyBytes: maximumBodyBytes, url: url)
                }
            }
        } catch {
            throw Self.callError(error, url: url, timeout: timeout)
        }
    }

    /// An answer's body as it arrives, for `stream`.
    public struct BodyParts: ~Copyable {
        fileprivate var inbound: NIOAsyncChannelInboundStream<HTTPResponsePart>.AsyncIterator
        fileprivate let progress: ProgressMark
        fileprivate let url: String
        fileprivate var ended = false

        /// The next part of the body; nil once the answer is complete. A stream that closes
        /// before the answer's end throws.
        public mutating func next() async throws -> ByteBuffer? {
            while !ended {
                guard let part = try await inbound.next() else {
                    throw ServiceCallError(kind: .transport, url: url, message: "the stream closed before the answer was complete")
                }
                progress.touch()
                switch part {
                case .body(let buffer): return buffer
                case .end: ended = true
                case .head: throw ServiceCallError(kind: .badAnswer, url: url, message: "a second response head")
                }
            }
            return nil
        }
    }

    /// Sends one request and hands the answer to `consume` as it arrives (a CAR of a whole
    /// DAG, say), so nothing holds the whole body. The call fails when nothing arrives for
    /// `idleTimeout`, however long the transfer runs while it keeps moving.
    ///
    /// Throws what `consume` throws as it is; every failure of the exchange itself is a
    /// `ServiceCallError`.
    public func stream<Result: Sendable>(
        _ method: HTTPRequest.Method, _ path: String, to baseURL: String, certificateSHA256: [UInt8],
        headers: HTTPFields = [:], idleTimeout: Duration,
        consume: @escaping @Sendable (HTTPResponse, inout BodyParts) async throws -> Result
    ) async throws -> Result {
        let url = baseURL + path
        let (key, request) = try Self.prepare(method, path, baseURL: baseURL, certificateSHA256: certificateSHA256, headers: headers)
        do {
            return try await withIdleDeadline(idleTimeout) { progress in
                try await self.onStream(key, url: url) { stream in
                    try await stream.executeThenClose { inbound, outbound in
                        try await outbound.write(.head(request))
                        try await outbound.write(.end(nil))
                        var iterator = inbound.makeAsyncIterator()
                        while let part = try await iterator.next() {
                            progress.touch()
                            guard case .head(let head) = part else {
                                throw ServiceCallError(kind: .badAnswer, url: url, message: "the answer began without a head")
                            }
                            if head.status.kind == .informational { continue }
                            var body = BodyParts(inbound: iterator, progress: progress, url: url)
                            do {
                                return try await consume(head, &body)
                            } catch let error as ServiceCallError {
                                throw error
                            } catch {
                                throw ConsumerFailure(error: error)
                            }
                        }
                        throw ServiceCallError(kind: .transport, url: url, message: "the stream ended without a response")
                    }
                }
            }
        } catch let failure as ConsumerFailure {
            throw failure.error
        } catch {
            throw Self.callError(error, url: url, timeout: idleTimeout)
        }
    }

    /// An error of `stream`'s consumer, carried past the exchange's own error mapping.
    private struct ConsumerFailure: Error {
        let error: any Error
    }

    private static func prepare(
        _ method: HTTPRequest.Method, _ path: String, baseURL: String, certificateSHA256: [UInt8], headers: HTTPFields
    ) throws(ServiceCallError) -> (ConnectionKey, HTTPRequest) {
        guard let (host, port) = Self.hostAndPort(baseURL) else {
            throw ServiceCallError(kind: .invalidRequest, url: baseURL + path, message: "'\(baseURL.prefix(100))' is not an https://host:port URL",
                                   mayHaveBeenProcessed: false)
        }
        var head = HTTPRequest(method: method, scheme: "https", authority: port == 443 ? host : "\(host):\(port)", path: path)
        head.headerFields = headers
        return (ConnectionKey(host: host, port: port, certificateSHA256: certificateSHA256), head)
    }

    /// Opens a stream to the peer and runs `body` on it. A stream refused on a connection the
    /// peer is closing never reached it: once more on a new connection.
    ///
    /// A request that never left (its stream got no ID: the connection closed first) or that
    /// the peer's GOAWAY names as unprocessed (its stream above the GOAWAY's last stream ID:
    /// the peer was closing when it arrived) is sent again, on a new connection.
    private func onStream<T: Sendable>(
        _ key: ConnectionKey, url: String, _ body: (NIOAsyncChannel<HTTPResponsePart, HTTPRequestPart>) async throws -> T
    ) async throws -> T {
        for attempt in 0..<2 {
            let connection = try await connection(for: key)
            let stream: NIOAsyncChannel<HTTPResponsePart, HTTPRequestPart>
            do {
                stream = try await connection.multiplexer.openStream { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTPClientCodec())
                        return try NIOAsyncChannel<HTTPResponsePart, HTTPRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
            } catch {
                forget(key, connection)
                if attempt == 0 { continue }
                throw error
            }
            do {
                return try await body(stream)
            } catch {
                // The stream ID exists once the head is written; a stream that never got one
                // was never sent.
                let id = try? await stream.channel.getOption(HTTP2StreamChannelOptions.streamID)
                // The stream can end (on this task's thread) before the event loop has handed
                // the GOAWAY that ended it to the watcher: a turn of the loop settles that.
                try? await connection.channel.eventLoop.submit {}.get()
                let neverSent = id.map { Int($0) > connection.goAway.lastStreamID } ?? true
                if attempt == 0, neverSent, !(error is ConsumerFailure) {
                    forget(key, connection)
                    continue
                }
                throw error
            }
        }
        throw ServiceCallError(kind: .transport, url: url, message: "no stream could be opened", mayHaveBeenProcessed: false)
    }

    private static func callError(_ error: any Error, url: String, timeout: Duration) -> ServiceCallError {
        switch error {
        case let error as ServiceCallError:
            return error
        case is DeadlineExceeded:
            return ServiceCallError(kind: .timeout, url: url, message: "no complete answer within \(timeout)")
        case is CancellationError:
            return ServiceCallError(kind: .cancelled, url: url, message: "cancelled")
        default:
            let neverSent = error is HandshakeRefused || TransportFailure.neverSent(error)
            return ServiceCallError(kind: .transport, url: url, message: describe(error), mayHaveBeenProcessed: !neverSent)
        }
    }

    /// Closes every connection; call before the client is released.
    public func shutdown() async {
        let slots = connections.withLock { connections in
            defer { connections = [:] }
            return Array(connections.values)
        }
        for slot in slots {
            switch slot {
            case .connecting(let task):
                if let connection = try? await task.value { try? await connection.channel.close() }
            case .ready(let connection):
                try? await connection.channel.close()
            }
        }
    }

    // MARK: - connections

    private func connection(for key: ConnectionKey) async throws -> Connection {
        let task = connections.withLock { connections -> Task<Connection, any Error> in
            if case .some(let slot) = connections[key] {
                switch slot {
                case .connecting(let task): return task
                case .ready(let connection) where connection.channel.isActive: return Task { connection }
                case .ready: break
                }
            }
            let task = Task { try await self.connect(key) }
            connections[key] = .connecting(task)
            return task
        }
        do {
            let connection = try await task.value
            connections.withLock { connections in
                if case .connecting(let pending) = connections[key], pending == task { connections[key] = .ready(connection) }
            }
            return connection
        } catch {
            connections.withLock { connections in
                // Only the failed attempt is dropped, never a newer one.
                if case .connecting(let pending) = connections[key], pending == task { connections[key] = nil }
            }
            throw error
        }
    }

    /// Drops a connection that refused a stream (closing, or GOAWAY received).
    private func forget(_ key: ConnectionKey, _ connection: Connection) {
        connections.withLock { connections in
            if case .ready(let current) = connections[key], current === connection { connections[key] = nil }
        }
        connection.channel.close(promise: nil)
    }

    private func connect(_ key: ConnectionKey) async throws -> Connection {
        let context = sslContext
        let configuration = http2
        let expected = key.certificateSHA256
        let goAway = GoAwayRecord()
        // SNI carries names only; an address literal is sent without it.
        let isAddress = key.host.contains(":") || key.host.allSatisfy { $0.isNumber || $0 == "." }
        let serverName = isAddress ? nil : key.host
        let connectHost = key.host.hasPrefix("[") ? String(key.host.dropFirst().dropLast()) : key.host
        let (channel, multiplexer, handshake) = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000
                                         + connectTimeout.components.attoseconds / 1_000_000_000))
            .connect(host: connectHost, port: key.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: context, serverHostname: serverName) { chain, promise in
                        guard let leaf = chain.first, let der = try? leaf.toDERBytes(),
                              Self.fingerprint(ofDER: der) == expected else {
                            promise.succeed(.failed)
                            return
                        }
                        promise.succeed(.certificateVerified)
                    }
                    let handshake = HandshakeCompletion(promise: channel.eventLoop.makePromise())
                    // The decoder would otherwise copy its growing buffer on most reads of a
                    // large answer, as it did on the server side (docs/design.md, "The HTTPS
                    // channel"): 19% of a fetching node's CPU went there.
                    try channel.pipeline.syncOperations.addHandlers(tls, handshake, WholeFrameReads(clientPreface: false))
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
                        mode: .client, configuration: configuration
                    ) { stream in stream.eventLoop.makeSucceededVoidFuture() }
                    try channel.pipeline.syncOperations.addHandler(GoAwayWatcher(record: goAway))
                    return (channel as any Channel, multiplexer, handshake.promise.futureResult)
                }
            }
        // Requests wait for the handshake, so a certificate other than the pinned one fails
        // the connection, never a request that was already written.
        do {
            try await handshake.get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
        let connection = Connection(channel: channel, multiplexer: multiplexer, goAway: goAway)
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.connections.withLock { connections in
                if case .ready(let current) = connections[key], current === connection { connections[key] = nil }
            }
        }
        return connection
    }

    // MARK: - one exchange

    private static func exchange(
        _ request: HTTPRequest, body: [UInt8]?, on stream: NIOAsyncChannel<HTTPResponsePart, HTTPRequestPart>,
        maximumBodyBytes: Int, url: String
    ) async throws -> Response {
        try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(.head(request))
            if let body, !body.isEmpty { try await outbound.write(.body(ByteBuffer(bytes: body))) }
            try await outbound.write(.end(nil))
            var head: HTTPResponse?
            var collected: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let response):
                    if response.status.kind == .informational { continue }
                    head = response
                    if let length = response.headerFields[.contentLength].flatMap(Int.init), length > maximumBodyBytes {
                        throw ServiceCallError(kind: .badAnswer, url: url, status: response.status.code,
                                               message: "the answer announces \(length) bytes; at most \(maximumBodyBytes) are accepted")
                    }
                case .body(let buffer):
                    guard collected.count + buffer.readableBytes <= maximumBodyBytes else {
                        throw ServiceCallError(kind: .badAnswer, url: url, status: head?.status.code,
                                               message: "the answer is longer than \(maximumBodyBytes) bytes")
                    }
                    collected.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let head else {
                        throw ServiceCallError(kind: .transport, url: url, message: "the stream ended without a response")
                    }
                    return Response(status: head.status, headerFields: head.headerFields, body: collected)
                }
            }
            throw ServiceCallError(kind: .transport, url: url, message: "the stream closed before the answer was complete (head \(head != nil), \(collected.count) bytes)")
        }
    }

    // MARK: - helpers

    static func hostAndPort(_ baseURL: String) -> (String, Int)? {
        guard baseURL.hasPrefix("https://") else { return nil }
        var authority = baseURL.dropFirst("https://".count)
        if let slash = authority.firstIndex(of: "/") { authority = authority[..<slash] }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = String(authority[...close])
            let rest = authority[authority.index(after: close)...]
            if rest.isEmpty { return (host, 443) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
        guard let host = parts.first, !host.isEmpty, parts.count <= 2 else { return nil }
        if parts.count == 1 { return (String(host), 443) }
        guard let port = Int(parts[1]), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? NIOSSLError, case .handshakeFailed = error {
            return "TLS handshake failed (the peer's certificate is not the one its record names, or TLS failed): \(error)"
        }
        if let error = error as? HandshakeRefused { return "TLS handshake failed: \(error.reason)" }
        return String(describing: error)
    }
}

/// Completes when the TLS handshake has (with h2 negotiated), or fails with the reason it did not.
private final class HandshakeCompletion: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = Any
    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let negotiated) = event as? TLSUserEvent {
            if negotiated == "h2" {
                promise.succeed()
            } else {
                promise.fail(HandshakeRefused(reason: "the peer did not agree to HTTP/2 (ALPN: \(negotiated ?? "none"))"))
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(HandshakeRefused(reason: "the peer closed the connection during the TLS handshake"))
        context.fireChannelInactive()
    }
}

/// A connection that ended before its TLS handshake completed.
struct HandshakeRefused: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

/// The last stream ID of the GOAWAY a connection received (`Int.max` until one arrives):
/// streams above it were never processed by the peer.
private final class GoAwayRecord: Sendable {
    private let value = Atomic<Int>(Int.max)
    var lastStreamID: Int { value.load(ordering: .acquiring) }
    func received(_ lastStreamID: Int) { value.store(lastStreamID, ordering: .releasing) }
}

/// Notes the connection's GOAWAY (root-stream frames pass the HTTP/2 handler to here).
private final class GoAwayWatcher: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    let record: GoAwayRecord

    init(record: GoAwayRecord) { self.record = record }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .goAway(let lastStreamID, _, _) = unwrapInboundIn(data).payload { record.received(Int(lastStreamID)) }
        context.fireChannelRead(data)
    }
}
