import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Opens the byte stream to a device: TCP, or a serial port set up as the Meshtastic clients
/// do (115200 baud, raw, HUPCL cleared so closing the port does not reset the board).
enum DeviceTransport {
    static func open(_ endpoint: RadioEndpoint) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        switch endpoint {
        case .tcp(let host, let port):
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        case .serial(let path):
            let descriptor = try openSerial(path)
            do {
                return try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .takingOwnershipOfDescriptor(inputOutput: descriptor) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                close(descriptor)
                throw error
            }
        }
    }

    private static func openSerial(_ path: String) throws(RadioError) -> CInt {
        #if canImport(Glibc)
        let descriptor = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreachable("\(path): \(String(cString: strerror(errno)))") }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else {
            close(descriptor)
            throw .unreachable("\(path) is not a serial port")
        }
        cfmakeraw(&settings)
        cfsetispeed(&settings, speed_t(B115200))
        cfsetospeed(&settings, speed_t(B115200))
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        settings.c_cflag &= ~tcflag_t(HUPCL)
        guard tcsetattr(descriptor, TCSANOW, &settings) == 0 else {
            close(descriptor)
            throw .unreachable("cannot configure \(path)")
        }
        return descriptor
        #else
        throw .unreachable("serial ports are supported on Linux only")
        #endif
    }
}
