import Logging
import NIOCore
import NIOPosix
import PakitMeshtastic

/// The Meshtastic client stream API of one simulated device on TCP (as meshtasticd serves it on
/// port 4403): one client at a time, a new connection closes the previous one.
struct DeviceServer: Sendable {
    let node: Int
    let medium: RadioMedium
    let logger: Logger

    typealias Server = NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    static func bind(host: String, port: Int, group: any EventLoopGroup) async throws -> Server {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    func serve(_ server: Server) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await self.serveClient(connection) }
                }
            }
        }
    }

    private func serveClient(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let (session, output) = await medium.connect(node: node)
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // Ends when the medium finishes the session (a newer client, or a
                        // ToRadio.disconnect): then the connection closes.
                        for await frame in output {
                            try await outbound.write(ByteBuffer(bytes: frame))
                        }
                    }
                    group.addTask {
                        var decoder = StreamFrameDecoder()
                        for try await buffer in inbound {
                            decoder.append(buffer.readableBytesView)
                            while let frame = decoder.nextFrame() {
                                await medium.handle(frame: frame, node: node, session: session)
                            }
                        }
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("client connection ended", metadata: ["node": "\(node)", "error": "\(error)"])
        }
        await medium.disconnect(node: node, session: session)
    }
}
