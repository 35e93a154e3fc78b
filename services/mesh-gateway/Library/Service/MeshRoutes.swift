import Hummingbird
import NIOCore
import PakitContracts
import PakitHTTPServer

/// `GET /v1/peers`, `GET /v1/mesh/health`, `POST /v1/mesh/state`.
extension MeshGatewayNode {
    func addMeshRoutes(to router: Router<ServiceRequestContext>) {
        router.get("/v1/peers") { _, _ in
            try jsonResponse(await self.startedProviders().annotate(try await self.startedRunner().peers()))
        }
        router.get("/v1/mesh/health") { _, _ in
            try jsonResponse(await self.health(runner: try self.startedRunner(), providers: try self.startedProviders()))
        }
        // Open to any node: peers hold certificates of their own CAs. The body is a signed
        // state packet; what it carries is checked signature by signature.
        router.post("/v1/mesh/state") { request, context in
            try self.peerRequestLimiter.check(context.rateLimitKey, what: "state exchanges")
            let body = try await request.body.collect(upTo: MeshPacket.maximumStateSize)
            let packet: MeshPacket
            do {
                packet = try MeshPacket.decode(Array(body.readableBytesView), maximumSize: MeshPacket.maximumStateSize)
            } catch {
                throw ServiceError.badRequest("invalid_packet", "not a valid signed mesh state packet: \(error)")
            }
            let answer: [UInt8]
            do {
                answer = try await self.startedRunner().answerState(packet)
            } catch let error as MeshWireError {
                throw ServiceError.badRequest("invalid_packet", error.reason)
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
    }

    private func startedRunner() throws -> MembershipRunner {
        guard let runner else { throw ServiceError(.serviceUnavailable, "starting", "the membership has not started yet") }
        return runner
    }
}
