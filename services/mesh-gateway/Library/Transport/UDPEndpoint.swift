import NIOCore
import NIOPosix

/// One datagram as received: its bytes and where it came from.
struct InboundDatagram: Sendable {
    let bytes: [UInt8]
    let source: SocketAddress
}

/// The mesh's UDP socket. Received datagrams go to `datagrams` after a per-source rate limit
/// (checked on the event loop, before any signature is verified); `send` writes one datagram.
final class UDPEndpoint: Sendable {
    let channel: any Channel
    let datagrams: AsyncStream<InboundDatagram>
    let localPort: Int

    private init(channel: any Channel, datagrams: AsyncStream<InboundDatagram>, localPort: Int) {
        self.channel = channel
        self.datagrams = datagrams
        self.localPort = localPort
    }

    /// Binds `host:port` (0 = any free port). `admit` decides per source address whether a
    /// datagram may be looked at; refused ones are counted by the caller and dropped.
    static func bind(host: String, port: Int, admit: @escaping @Sendable (SocketAddress) -> Bool) async throws -> UDPEndpoint {
        // Bounded: a flood past what the membership can verify is dropped here, not queued.
        let (datagrams, continuation) = AsyncStream.makeStream(of: InboundDatagram.self, bufferingPolicy: .bufferingNewest(4_096))
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(InboundHandler(continuation: continuation, admit: admit))
                }
            }
            .bind(host: host, port: port).get()
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        return UDPEndpoint(channel: channel, datagrams: datagrams, localPort: channel.localAddress?.port ?? port)
    }

    func send(_ bytes: [UInt8], to address: SocketAddress) {
        let envelope = AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: bytes))
        channel.writeAndFlush(envelope, promise: nil)
    }

    func close() async {
        try? await channel.close()
    }

    private final class InboundHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let continuation: AsyncStream<InboundDatagram>.Continuation
        let admit: @Sendable (SocketAddress) -> Bool

        init(continuation: AsyncStream<InboundDatagram>.Continuation, admit: @escaping @Sendable (SocketAddress) -> Bool) {
            self.continuation = continuation
            self.admit = admit
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard admit(envelope.remoteAddress) else { return }
            continuation.yield(InboundDatagram(bytes: Array(envelope.data.readableBytesView), source: envelope.remoteAddress))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // An ICMP "port unreachable" from a dead peer surfaces here; the socket stays usable.
        }
    }
}
