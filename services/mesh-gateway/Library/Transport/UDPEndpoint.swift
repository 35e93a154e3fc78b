#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization

/// One datagram as received: its bytes and where it came from.
struct InboundDatagram: Sendable {
    let bytes: [UInt8]
    let source: SocketAddress
}

/// The mesh's UDP socket. Received datagrams go to `datagrams` after a per-source rate limit
/// (checked on the event loop, before any signature is verified); `send` writes one datagram.
///
/// Sends go straight to the socket (`sendto` on a duplicate of its descriptor), not through
/// the NIO channel: NIO closes a datagram channel on most send errors, and a send can fail for
/// reasons that say nothing about the socket — a firewall rule dropping one destination
/// (EPERM), a route that is gone (ENETUNREACH), a full buffer (ENOBUFS, EAGAIN). One such
/// datagram is lost, as UDP may lose any; the socket lives on.
final class UDPEndpoint: Sendable {
    let channel: any Channel
    let datagrams: AsyncStream<InboundDatagram>
    let localPort: Int
    /// The descriptor sends use; nil once closed (a lock, so a send never meets a reused number).
    private let sendDescriptor: Mutex<Int32?>
    /// Datagrams the kernel refused to send.
    let sendFailures = Atomic<Int>(0)

    private init(channel: any Channel, datagrams: AsyncStream<InboundDatagram>, localPort: Int, sendDescriptor: Int32) {
        self.channel = channel
        self.datagrams = datagrams
        self.localPort = localPort
        self.sendDescriptor = Mutex(sendDescriptor)
    }

    /// Binds `host:port` (0 = any free port). `admit` decides per source address whether a
    /// datagram may be looked at; refused ones are counted by the caller and dropped.
    static func bind(host: String, port: Int, admit: @escaping @Sendable (SocketAddress) -> Bool) async throws -> UDPEndpoint {
        let address = try SocketAddress(ipAddress: host, port: port)
        let family = address.protocol == .inet6 ? AF_INET6 : AF_INET
        let descriptor = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockAddr { Glibc.bind(descriptor, $0, socklen_t($1)) }
        guard bound == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw IOError(errnoCode: code, reason: "bind \(host):\(port)")
        }
        let sendDescriptor = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard sendDescriptor >= 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw IOError(errnoCode: code, reason: "dup")
        }
        // Bounded: a flood past what the membership can verify is dropped here, not queued.
        let (datagrams, continuation) = AsyncStream.makeStream(of: InboundDatagram.self, bufferingPolicy: .bufferingNewest(4_096))
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.maxMessagesPerRead, value: 16)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(InboundHandler(continuation: continuation, admit: admit))
                    }
                }
                .withBoundSocket(descriptor).get()
        } catch {
            // NIO owns `descriptor` once given it (closing it here as well could close a number
            // already reused); the duplicate is ours.
            Glibc.close(sendDescriptor)
            throw error
        }
        channel.closeFuture.whenComplete { _ in continuation.finish() }
        return UDPEndpoint(channel: channel, datagrams: datagrams, localPort: channel.localAddress?.port ?? port, sendDescriptor: sendDescriptor)
    }

    func send(_ bytes: [UInt8], to address: SocketAddress) {
        let sent: Int = sendDescriptor.withLock { descriptor in
            guard let descriptor else { return 0 }
            return bytes.withUnsafeBytes { buffer in
                address.withSockAddr { sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), $0, socklen_t($1)) }
            }
        }
        if sent < 0 { sendFailures.add(1, ordering: .relaxed) }
    }

    func close() async {
        sendDescriptor.withLock { descriptor in
            if let open = descriptor { Glibc.close(open) }
            descriptor = nil
        }
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
